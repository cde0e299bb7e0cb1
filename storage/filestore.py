"""Objects as files in a local folder: the embedded default for development (DESIGN decision 10)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from storage.base import (
    CHUNK_SIZE,
    ObjectStore,
    StoredObject,
    check_content,
    is_key,
    presign_seconds,
    validate_key,
    validate_prefix,
    validate_put,
)
from storage.errors import IntegrityError, ObjectExists, ObjectNotFound, StorageError

log = logging.getLogger(__name__)

# Keys never contain "~" (see storage.base), so these names can never collide with an object.
_SIDECAR_SUFFIX = "~meta.json"
_TEMP_MARK = "~tmp-"
_LOCK_NAME = "~lock"
_SIDECAR_FORMAT = 1


class FileStore(ObjectStore):
    """Objects stored as files under `root`: for development and single-machine use only.

    Each object is written to a temporary file in its final folder, then renamed into place, so a
    reader never sees half a file. Its SHA-256, size and content type live in a sidecar JSON file
    next to it (`<name>~meta.json`). Puts and deletes take an exclusive `flock` on `root/~lock`,
    which serialises processes on one machine only: several machines sharing a network folder
    must use `S3Store`. POSIX only.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()
        log.warning(
            "FileStore at %s is for development and single-machine use; "
            "production must use S3Store (MinIO or another S3 server)",
            self.root,
        )

    # -- paths ----------------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    @staticmethod
    def _sidecar(path: Path) -> Path:
        return path.with_name(path.name + _SIDECAR_SUFFIX)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.ensure_ready()
        with open(self.root / _LOCK_NAME, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- interface ------------------------------------------------------------------------------

    def ensure_ready(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)

    def put(
        self,
        key: str,
        data: BinaryIO,
        *,
        size: int,
        sha256: str,
        content_type: str,
        metadata: dict[str, str] | None = None,
    ) -> StoredObject:
        path = self._path(key)
        user_metadata = validate_put(
            size=size, sha256=sha256, content_type=content_type, metadata=metadata
        )
        if path.exists():
            # Checked again under the lock; this early check just avoids reading the stream.
            raise ObjectExists(key)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            temp = self._write_temp(path, data, size=size, sha256=sha256)
        except OSError as exc:
            raise StorageError(f"{key}: could not store the object: {exc}") from exc
        try:
            with self._locked():
                if path.exists():
                    raise ObjectExists(key)
                # Sidecar first: a crash before the rename below leaves only a sidecar, which no
                # reader looks at and the next put of this key replaces.
                sidecar = {
                    "format": _SIDECAR_FORMAT,
                    "key": key,
                    "sha256": sha256,
                    "size": size,
                    "content_type": content_type,
                    "metadata": user_metadata,
                }
                self._write_json(self._sidecar(path), sidecar)
                os.replace(temp, path)
                _fsync_dir(path.parent)
        except OSError as exc:
            raise StorageError(f"{key}: could not store the object: {exc}") from exc
        finally:
            temp.unlink(missing_ok=True)
        return self.stat(key)

    def open(
        self, key: str, *, expected_sha256: str | None = None, expected_size: int | None = None
    ) -> bytes:
        path = self._path(key)
        digest = hashlib.sha256()
        parts: list[bytes] = []
        count = 0
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK_SIZE):
                    count += len(chunk)
                    if expected_size is not None and count > expected_size:
                        # Stop before a grown (corrupted) file fills memory.
                        raise IntegrityError(f"{key}: larger than the expected {expected_size}")
                    digest.update(chunk)
                    parts.append(chunk)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        except OSError as exc:
            raise StorageError(f"{key}: could not read the object: {exc}") from exc
        meta = self._read_sidecar(path)
        check_content(
            key,
            actual_sha256=digest.hexdigest(),
            actual_size=count,
            stored_sha256=meta.get("sha256") if meta else None,
            expected_sha256=expected_sha256,
            expected_size=expected_size,
        )
        return b"".join(parts)

    def stat(self, key: str) -> StoredObject:
        path = self._path(key)
        try:
            info = path.stat()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        if not path.is_file():
            raise ObjectNotFound(key)
        meta = self._read_sidecar(path) or {}
        sha = meta.get("sha256")
        content_type = meta.get("content_type")
        return StoredObject(
            key=key,
            size=info.st_size,
            sha256=sha if isinstance(sha, str) else None,
            content_type=(
                content_type if isinstance(content_type, str) else "application/octet-stream"
            ),
            last_modified=datetime.fromtimestamp(info.st_mtime, tz=UTC),
        )

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        with self._locked():
            # Bytes before sidecar: a crash in between leaves a sidecar nobody reads.
            if path.is_file():
                path.unlink()
            self._sidecar(path).unlink(missing_ok=True)
        # Empty folders are left in place: removing one could race a put that just created it.

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        validate_prefix(prefix)
        folder = prefix.rpartition("/")[0]
        start = self.root.joinpath(*folder.split("/")) if folder else self.root
        keys: list[str] = []
        for dirpath, _dirnames, filenames in os.walk(start):
            for name in filenames:
                if "~" in name:
                    continue  # sidecars, temporary files and the lock
                key = Path(dirpath, name).relative_to(self.root).as_posix()
                if key.startswith(prefix) and is_key(key):
                    keys.append(key)
        # Keys are ASCII, so sorting str gives the byte order that S3 listings use.
        for key in sorted(keys):
            try:
                yield self.stat(key)
            except ObjectNotFound:
                continue  # deleted while we were listing

    def presigned_get(self, key: str, expires_seconds: int = 300) -> str | None:
        validate_key(key)
        presign_seconds(expires_seconds)
        return None  # files are streamed by the app after its authorization check

    # -- helpers --------------------------------------------------------------------------------

    def _write_temp(self, path: Path, data: BinaryIO, *, size: int, sha256: str) -> Path:
        """Copy at most size + 1 bytes into a temporary file beside `path`, hashing as we go."""
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}{_TEMP_MARK}")
        temp = Path(name)
        digest = hashlib.sha256()
        count = 0
        try:
            with os.fdopen(fd, "wb") as out:
                # One byte past the declared size is enough to know the stream is too long.
                while count <= size:
                    chunk = data.read(min(CHUNK_SIZE, size + 1 - count))
                    if not chunk:
                        break
                    count += len(chunk)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if count != size:
                raise IntegrityError(f"{path.name}: wrote {count} bytes, expected {size}")
            if digest.hexdigest() != sha256:
                raise IntegrityError(f"{path.name}: written bytes do not match the SHA-256")
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return temp

    @staticmethod
    def _write_json(target: Path, payload: dict[str, Any]) -> None:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}{_TEMP_MARK}")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(payload, out, ensure_ascii=True, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.replace(name, target)
        finally:
            Path(name).unlink(missing_ok=True)

    def _read_sidecar(self, path: Path) -> dict[str, Any] | None:
        try:
            payload = json.loads(self._sidecar(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            log.warning("unreadable metadata for %s", path)
            return None
        return payload if isinstance(payload, dict) else None


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable: without it a power cut can lose a committed object."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
