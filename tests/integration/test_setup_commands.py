"""The commands behind `make run`: migrate and load the demo data, from nothing, twice."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from service.app import create_app
from service.config import TestConfig
from service.db.models import Base, ClusterMembership, Organisation, User
from service.db.session import UnitOfWork

ACCOUNTS = ("donvi1", "thutruong1", "cum1", "bantdkt", "truongban", "chutich", "quantri",
            "kiemtoan")


def test_upgrade_and_seed_from_an_empty_folder(tmp_path):
    app = create_app(TestConfig(tmp_path / "var"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "Đã nạp dữ liệu mẫu." in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "Dữ liệu mẫu đã có sẵn." in second.output

    engine = app.extensions["tdkt"].engine
    with UnitOfWork(engine, write=False) as uow:
        session = uow.session
        usernames = set(session.scalars(select(User.username)))
        assert set(ACCOUNTS) <= usernames
        clusters = session.scalar(select(func.count()).select_from(Organisation).where(
            Organisation.kind == "cluster"))
        assert clusters == 15
        sizes = session.execute(
            select(ClusterMembership.cluster_id, func.count()).where(
                ClusterMembership.year == 2023).group_by(ClusterMembership.cluster_id)).all()
        assert len(sizes) == 15 and min(n for _, n in sizes) >= 4
        units = session.scalar(select(func.count()).select_from(Organisation).where(
            Organisation.kind == "unit"))
        # one officer and one head per demo unit
        assert sum(1 for u in usernames if u.startswith("donvi")) == units
        assert sum(1 for u in usernames if u.startswith("thutruong")) == units
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], "the migrations and the models disagree"
    engine.dispose()


def test_demo_password_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TDKT_DEMO_PASSWORD", "Mat-khau-rieng-2023")
    from service.config import Config

    config = Config(tmp_path / "var")
    assert config.DEMO_PASSWORD == "Mat-khau-rieng-2023"
    monkeypatch.setenv("TDKT_VAR_DIR", str(tmp_path / "elsewhere"))
    assert Config().VAR_DIR == (tmp_path / "elsewhere").resolve()


def test_worker_runs_one_maintenance_round(tmp_path):
    app = create_app(TestConfig(tmp_path / "var"))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "nhật ký toàn vẹn" in result.output
    app.extensions["tdkt"].engine.dispose()
