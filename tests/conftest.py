"""Fixtures: a fresh application and database per test, real PostgreSQL on demand."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from service.app import create_app
from service.config import TestConfig
from service.db import migrate, seed
from service.db.session import UnitOfWork, make_engine
from tests.support import DEMO_PASSWORD
from tests.support.pgserver import PgServer, start_postgres


def _prepare(url: str, var_dir: Path) -> None:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        with UnitOfWork(engine) as uow:
            seed.seed_demo(uow, password=DEMO_PASSWORD,
                           workflows_dir=TestConfig(var_dir).WORKFLOWS_DIR)
            uow.commit()
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated, seeded SQLite file made once; each test gets a copy."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite3"
    _prepare(f"sqlite:///{path}", folder)
    return path


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory) -> Iterator[PgServer]:
    server = start_postgres(tmp_path_factory.mktemp("pg"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer, tmp_path_factory) -> str:
    """A migrated, seeded PostgreSQL database used as the template of per-test databases."""
    url = _database_url(pg_server.url, "tdkt_template")
    _admin(pg_server, "CREATE DATABASE tdkt_template")
    _prepare(url, tmp_path_factory.mktemp("pgvar"))
    return "tdkt_template"


def _database_url(server_url: str, name: str) -> str:
    return server_url.rsplit("/", 1)[0] + "/" + name


def _admin(server: PgServer, sql: str) -> None:
    engine = create_engine(server.url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def _make_app(var_dir: Path, url: str):
    app = create_app(TestConfig(var_dir, database_url=url))
    app.config.update(WTF_CSRF_ENABLED=False)
    return app


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path: Path) -> str:
    """The database of one test: SQLite by default; parametrize with "postgresql" too."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    server: PgServer = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex[:12]}"
    _admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
    return _database_url(server.url, name)


@pytest.fixture
def app(tmp_path: Path, db_url: str):
    app = _make_app(tmp_path / "var", db_url)
    yield app
    app.extensions["tdkt"].engine.dispose()


@pytest.fixture
def csrf_app(tmp_path: Path, db_url: str):
    """An application with CSRF protection on, as in production."""
    app = _make_app(tmp_path / "var", db_url)
    app.config.update(WTF_CSRF_ENABLED=True)
    yield app
    app.extensions["tdkt"].engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory, sqlite_template: Path):
    """One application for a module of read-mostly tests that share an expensive setup."""
    folder = tmp_path_factory.mktemp("shared")
    path = folder / "shared.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = _make_app(folder / "var", f"sqlite:///{path}")
    yield app
    app.extensions["tdkt"].engine.dispose()
