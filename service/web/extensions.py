"""Extensions and the per-application services (database engine, object store)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from flask import Flask, current_app, request, session
from flask_babel import Babel
from flask_wtf import CSRFProtect
from sqlalchemy import Connection, Engine

from service.audit.signing import AuditSigner
from service.config import Config
from service.db.session import UnitOfWork, make_engine
from service.jobs import queue
from service.jobs.queue import Runtime
from storage.base import ObjectStore
from storage.factory import store_from_config

csrf = CSRFProtect()

LANGUAGES = ("vi", "en")


@dataclass
class Services:
    config: Config
    engine: Engine
    store: ObjectStore

    @cached_property
    def audit_signer(self) -> AuditSigner:
        """Signs audit checkpoints and exports with the key kept outside the database."""
        return AuditSigner(self.config.AUDIT_KEY)

    @property
    def runtime(self) -> Runtime:
        return Runtime(self.engine, self.store, {"pdf_timeout": self.config.PDF_TIMEOUT_SECONDS,
                                                 "audit_key": self.config.AUDIT_KEY,
                                                 "smtp": smtp_settings(self.config)})

    def run_job_now(self, job_id: int) -> None:
        """Run a job its command has just committed (the worker picks up any that fail)."""
        queue.run_ready(self.runtime, job_ids=[job_id])


def smtp_settings(config: Config) -> dict:
    """What the ``notify.email`` job needs to send (service/usecases/notifications.py)."""
    return {"host": config.SMTP_HOST, "port": config.SMTP_PORT, "sender": config.SMTP_FROM,
            "user": config.SMTP_USER, "password": config.SMTP_PASSWORD,
            "starttls": config.SMTP_STARTTLS, "public_url": config.PUBLIC_URL}


def _select_locale() -> str:
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
        return lang
    return session.get("lang", "vi")


def _remember_language() -> None:
    """``?lang=`` sticks even on a request that renders nothing (a redirect to sign in)."""
    lang = request.args.get("lang")
    if lang in LANGUAGES and session.get("lang") != lang:
        session["lang"] = lang


def reset_session() -> None:
    """A fresh session (sign-in, sign-out, expiry) that keeps only the language chosen."""
    lang = session.get("lang")
    session.clear()
    if lang in LANGUAGES:
        session["lang"] = lang


def init_app(app: Flask, config: Config) -> None:
    engine = make_engine(config.SQLALCHEMY_DATABASE_URI)
    store = store_from_config(vars(config))
    store.ensure_ready()
    app.extensions["tdkt"] = Services(config=config, engine=engine, store=store)
    csrf.init_app(app)
    # A Babel of its own per application: Flask-Babel caches the loaded catalogues on it, so a
    # shared one would hand one application's catalogue (or its absence) to the next.
    Babel(app, locale_selector=_select_locale,
          default_translation_directories=str(config.PROJECT_TRANSLATIONS))
    app.before_request(_remember_language)


def services() -> Services:
    return current_app.extensions["tdkt"]


def unit_of_work(*, write: bool = True) -> UnitOfWork:
    tdkt = services()
    uow = UnitOfWork(tdkt.engine, write=write)
    if write and tdkt.config.JOBS_INLINE:
        uow.on_new_job = tdkt.run_job_now
    return uow


def read_connection() -> Connection:
    """A plain connection for a short read that needs no ORM session (who is calling)."""
    return services().engine.connect()
