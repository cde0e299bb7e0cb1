"""The private PostgreSQL cluster that the integration tests run against."""

import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.support import pgserver
from tests.support.pgserver import _find_binary, start_postgres


@pytest.fixture
def pg(tmp_path):
    server = start_postgres(tmp_path)
    yield server
    server.stop()


def test_serves_a_fresh_database_on_loopback(pg):
    url = make_url(pg.url)
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port, url.database) == ("127.0.0.1", pg.port, "tdkt_test")

    engine = sa.create_engine(pg.url)
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("select version()")).scalar_one()
            settings = dict(
                conn.execute(
                    sa.text(
                        "select name, setting from pg_settings where name in "
                        "('listen_addresses', 'fsync', 'max_connections', 'server_encoding')"
                    )
                ).all()
            )
            vietnamese = conn.execute(sa.text("select upper('Bằng khen')")).scalar_one()
    finally:
        engine.dispose()

    assert version.startswith("PostgreSQL ")
    assert settings == {
        "listen_addresses": "127.0.0.1",
        "fsync": "off",
        "max_connections": "200",
        "server_encoding": "UTF8",
    }
    assert vietnamese == "BẰNG KHEN"


def test_refuses_a_wrong_password(pg):
    engine = sa.create_engine(make_url(pg.url).set(password="wrong"))
    try:
        with pytest.raises(sa.exc.OperationalError, match="password authentication failed"):
            engine.connect()
    finally:
        engine.dispose()


def test_stop_shuts_the_server_down_and_removes_its_files(tmp_path):
    server = start_postgres(tmp_path)
    server.stop()

    assert not server.base_dir.exists()
    engine = sa.create_engine(server.url)
    try:
        with pytest.raises(sa.exc.OperationalError):
            engine.connect()
    finally:
        engine.dispose()
    server.stop()  # a second stop is harmless


def test_prefers_the_highest_installed_version(tmp_path):
    for version in ("9.6", "15", "16"):
        (tmp_path / version / "bin").mkdir(parents=True)
        (tmp_path / version / "bin" / "initdb").touch()

    assert _find_binary("initdb", root=tmp_path) == str(tmp_path / "16" / "bin" / "initdb")


def test_missing_server_is_an_error_not_a_skip(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(RuntimeError, match="install Debian's `postgresql` package"):
        _find_binary("initdb", root=tmp_path)


def test_a_server_that_cannot_start_reports_its_log_and_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setitem(pgserver._SETTINGS, "max_connections", "-1")
    before = set(Path(tempfile.gettempdir()).glob("tdkt-pg-*"))

    with pytest.raises(RuntimeError, match="max_connections"):
        start_postgres(tmp_path)

    assert set(Path(tempfile.gettempdir()).glob("tdkt-pg-*")) == before
    assert not list(tmp_path.glob("pg-*"))
