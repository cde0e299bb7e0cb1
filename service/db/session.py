"""Engine and unit of work. Only this package knows about SQLAlchemy sessions."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

WRITE_OPTION = "tdkt_write"


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys and write transactions that lock early."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _tune_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # pragma: no cover - driver callback
        # Let us issue BEGIN ourselves (pysqlite's implicit transactions defer locking).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # pragma: no cover - driver callback
        # A command takes the write lock at BEGIN so that two commands cannot both read
        # the same audit chain head or task state and then race to write.
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class UnitOfWork:
    """One transaction: ``with uow: ...; uow.commit()``. Leaving without commit rolls back."""

    def __init__(self, engine: Engine, *, write: bool = True) -> None:
        bind = engine.execution_options(**{WRITE_OPTION: True}) if write else engine
        self._factory = sessionmaker(bind=bind, expire_on_commit=False)
        self.session: Session
        self.dialect = engine.dialect.name
        self._after_commit: list = []
        # Called with the id of each job this transaction adds, once it has committed: the web
        # app sets it to run generated papers straight away (service/jobs/queue.py).
        self.on_new_job = None

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        self._after_commit = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() ends any open transaction with a rollback, and keeps loaded attributes
        # readable on the now-detached objects (a rollback would expire them).
        self.session.close()

    def commit(self) -> None:
        self.session.commit()
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def rollback(self) -> None:
        self.session.rollback()

    def after_commit(self, callback) -> None:
        """Run ``callback`` only once the transaction has committed."""
        self._after_commit.append(callback)
