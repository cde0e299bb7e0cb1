"""Choose the object store from configuration (DESIGN decision 10: embedded by default)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from storage.base import ObjectStore
from storage.filestore import FileStore
from storage.s3store import S3Store

DEFAULT_FILE_ROOT = "var/objects"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def store_from_config(cfg: Mapping[str, Any]) -> ObjectStore:
    """Build the store named by cfg["STORAGE_BACKEND"]: "file" (the default) or "s3".

    file: STORAGE_FILE_ROOT (default var/objects).
    s3: S3_ENDPOINT ("host:port"), S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET, S3_SECURE (bool or
    "true"/"false", default false) and optionally S3_REGION.
    A missing or malformed setting raises ValueError naming it, so a bad deploy fails at start.
    """
    backend = str(cfg.get("STORAGE_BACKEND") or "file").strip().lower()
    if backend == "file":
        return FileStore(Path(cfg.get("STORAGE_FILE_ROOT") or DEFAULT_FILE_ROOT))
    if backend == "s3":
        return S3Store(
            endpoint=_required(cfg, "S3_ENDPOINT"),
            access_key=_required(cfg, "S3_ACCESS_KEY"),
            secret_key=_required(cfg, "S3_SECRET_KEY"),
            bucket=_required(cfg, "S3_BUCKET"),
            secure=_flag(cfg, "S3_SECURE"),
            region=cfg.get("S3_REGION") or None,
        )
    raise ValueError(f"STORAGE_BACKEND must be 'file' or 's3', not {backend!r}")


def _required(cfg: Mapping[str, Any], name: str) -> str:
    value = cfg.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be set when STORAGE_BACKEND is 's3'")
    return value.strip()


def _flag(cfg: Mapping[str, Any], name: str) -> bool:
    value = cfg.get(name, False)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")
