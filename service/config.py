"""Configuration from TDKT_* environment variables, with embedded defaults.

With nothing set, the service runs on SQLite and a local file store under ``var/``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings read once from the environment when the class is instantiated."""

    def __init__(self, var_dir: Path | None = None) -> None:
        self.VAR_DIR = Path(var_dir or _env("TDKT_VAR_DIR", str(PROJECT_ROOT / "var"))).resolve()
        self.SQLALCHEMY_DATABASE_URI = _env(
            "TDKT_DATABASE_URL", f"sqlite:///{self.VAR_DIR / 'tdkt.sqlite3'}"
        )
        self.STORAGE_BACKEND = _env("TDKT_STORAGE", "file")
        self.STORAGE_FILE_ROOT = str(self.VAR_DIR / "objects")
        self.S3_ENDPOINT = _env("TDKT_S3_ENDPOINT", "127.0.0.1:9000")
        self.S3_ACCESS_KEY = _env("TDKT_S3_ACCESS_KEY")
        self.S3_SECRET_KEY = _env("TDKT_S3_SECRET_KEY")
        self.S3_BUCKET = _env("TDKT_S3_BUCKET", "tdkt-documents")
        self.S3_SECURE = _env_bool("TDKT_S3_SECURE", False)
        self.SECRET_KEY = _env("TDKT_SECRET_KEY") or self._local_secret("secret_key")
        self.AUDIT_KEY = _env("TDKT_AUDIT_KEY") or self._local_secret("audit_key")
        self.DEMO_PASSWORD = _env("TDKT_DEMO_PASSWORD", "TdktDemo@2023")
        self.MAX_CONTENT_LENGTH = int(_env("TDKT_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024)))
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = _env_bool("TDKT_HTTPS", False)
        self.TRUSTED_PROXIES = int(_env("TDKT_TRUSTED_PROXIES", "0"))
        self.SESSION_IDLE_MINUTES = int(_env("TDKT_SESSION_IDLE_MINUTES", "30"))
        self.API_TOKEN_HOURS = int(_env("TDKT_API_TOKEN_HOURS", "8"))
        self.LOGIN_MAX_ATTEMPTS = int(_env("TDKT_LOGIN_MAX_ATTEMPTS", "5"))
        self.LOGIN_WINDOW_SECONDS = int(_env("TDKT_LOGIN_WINDOW_SECONDS", "60"))
        self.BABEL_DEFAULT_LOCALE = "vi"
        self.BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
        self.WTF_CSRF_TIME_LIMIT = None
        self.NODE_MODULES = Path(_env("TDKT_NODE_MODULES", str(PROJECT_ROOT / "node_modules")))
        self.WORKFLOWS_DIR = PROJECT_ROOT / "workflows" / "bpmn"
        self.PROJECT_TRANSLATIONS = Path(__file__).resolve().parent / "translations"
        # Generated papers are made right after the approving command commits (a few seconds
        # with LibreOffice); off, they wait for ``flask worker``.
        self.JOBS_INLINE = _env_bool("TDKT_JOBS_INLINE", True)
        self.PDF_TIMEOUT_SECONDS = int(_env("TDKT_PDF_TIMEOUT_SECONDS", "120"))
        # Deadline notices are also e-mailed (the ``notify.email`` job); with no host set the
        # job finishes without sending and logs so.
        self.SMTP_HOST = _env("TDKT_SMTP_HOST")
        self.SMTP_PORT = int(_env("TDKT_SMTP_PORT", "25"))
        self.SMTP_FROM = _env("TDKT_SMTP_FROM", "tdkt-flow@localhost")
        self.SMTP_USER = _env("TDKT_SMTP_USER")
        self.SMTP_PASSWORD = _env("TDKT_SMTP_PASSWORD")
        self.SMTP_STARTTLS = _env_bool("TDKT_SMTP_STARTTLS", False)
        # The address users reach the service at, for links in e-mails ("https://tdkt.…").
        self.PUBLIC_URL = _env("TDKT_PUBLIC_URL", "")
        self.TESTING = False

    def _local_secret(self, name: str) -> str:
        """A per-installation secret kept outside the database, made on first use."""
        path = self.VAR_DIR / "secrets" / name
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        value = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(value)
        return value


class TestConfig(Config):
    """Settings for tests: a database and store under the given folder."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, var_dir: Path, database_url: str | None = None) -> None:
        super().__init__(var_dir)
        self.SQLALCHEMY_DATABASE_URI = database_url or f"sqlite:///{self.VAR_DIR / 'test.sqlite3'}"
        self.STORAGE_BACKEND = "file"
        self.SECRET_KEY = "test-secret-key"
        self.AUDIT_KEY = "test-audit-key-not-secret"
        self.DEMO_PASSWORD = "demo-password"
        # Papers are queued, not made, unless a test asks (making PDFs takes about a second).
        self.JOBS_INLINE = False
        self.TESTING = True
