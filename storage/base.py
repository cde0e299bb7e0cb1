"""The object-store interface that every backend implements, and helpers shared by all of them.

Documents are written here before their row commits (DESIGN decision 8, REL-5): keys are made by
the server, nothing is ever overwritten, and every object carries its SHA-256 so that a read can
prove the bytes are the ones that were stored (REL-6).
"""

from __future__ import annotations

import hashlib
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from storage.errors import IntegrityError

log = logging.getLogger(__name__)

# 1 MiB chunks keep hashing fast without holding a whole upload twice in memory.
CHUNK_SIZE = 1024 * 1024

# Presigned URLs live at most five minutes (DOC-7).
MAX_PRESIGN_SECONDS = 300

# Keys are server-made, so the alphabet can be tiny: it is safe as a file path on every OS and as
# an S3 key without escaping, and leaves characters such as "~" free for a backend's own files.
_KEY_RE = re.compile(r"[a-z0-9._-]+(?:/[a-z0-9._-]+)*")
_PREFIX_RE = re.compile(r"[a-z0-9/._-]*")
_MAX_KEY_LENGTH = 1024  # the S3 limit
_MAX_SEGMENT_LENGTH = 200  # leaves room under NAME_MAX (255) for a backend's sidecar suffix

_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_TOKEN = r"[A-Za-z0-9!#$&^_.+-]+"
_CONTENT_TYPE_RE = re.compile(rf"{_TOKEN}/{_TOKEN}(?:\s*;\s*{_TOKEN}={_TOKEN})*")
_META_KEY_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
# Metadata travels as HTTP headers on S3: printable ASCII only, so nothing can smuggle a header.
_META_VALUE_RE = re.compile(r"[\x20-\x7e]{0,1024}")
RESERVED_METADATA = frozenset({"sha256"})


@dataclass(frozen=True, slots=True)
class StoredObject:
    """What the store knows about one object.

    `sha256` is the checksum recorded when the object was put; it is None only for an object that
    was written behind the store's back (such an object is refused by `open`).
    """

    key: str
    size: int
    sha256: str | None
    content_type: str
    last_modified: datetime


def validate_key(key: str) -> str:
    """Return `key` if it is a well-formed server-made key, else raise ValueError."""
    if not isinstance(key, str) or not key or len(key) > _MAX_KEY_LENGTH:
        raise ValueError(f"invalid object key: {key!r}")
    if not _KEY_RE.fullmatch(key) or ".." in key:
        raise ValueError(f"invalid object key: {key!r}")
    for segment in key.split("/"):
        if segment == "." or len(segment) > _MAX_SEGMENT_LENGTH:
            raise ValueError(f"invalid object key: {key!r}")
    return key


def is_key(candidate: str) -> bool:
    """True if `candidate` is a well-formed key; listings skip anything else."""
    try:
        validate_key(candidate)
    except ValueError:
        return False
    return True


def validate_prefix(prefix: str) -> str:
    """Return `prefix` if it could start a valid key ("" lists everything), else ValueError."""
    if not isinstance(prefix, str) or len(prefix) > _MAX_KEY_LENGTH:
        raise ValueError(f"invalid key prefix: {prefix!r}")
    if not _PREFIX_RE.fullmatch(prefix) or prefix.startswith("/") or "//" in prefix:
        raise ValueError(f"invalid key prefix: {prefix!r}")
    if ".." in prefix or "." in prefix.split("/")[:-1]:
        raise ValueError(f"invalid key prefix: {prefix!r}")
    return prefix


def validate_put(
    *, size: int, sha256: str, content_type: str, metadata: Mapping[str, str] | None
) -> dict[str, str]:
    """Check the arguments of `put` and return the user metadata as a plain dict."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"invalid size: {size!r}")
    if not isinstance(sha256, str) or not _SHA256_RE.fullmatch(sha256):
        raise ValueError("sha256 must be 64 lowercase hexadecimal characters")
    if not isinstance(content_type, str) or not _CONTENT_TYPE_RE.fullmatch(content_type):
        raise ValueError(f"invalid content type: {content_type!r}")
    clean: dict[str, str] = {}
    for name, value in (metadata or {}).items():
        if not isinstance(name, str) or not _META_KEY_RE.fullmatch(name):
            raise ValueError(f"invalid metadata name: {name!r}")
        if name in RESERVED_METADATA:
            raise ValueError(f"metadata name {name!r} is reserved for the store")
        if not isinstance(value, str) or not _META_VALUE_RE.fullmatch(value):
            raise ValueError(f"metadata {name!r} must be printable ASCII of at most 1024 chars")
        clean[name] = value
    return clean


def presign_seconds(expires_seconds: int) -> int:
    """Clamp a requested lifetime to the five-minute ceiling of DOC-7."""
    if isinstance(expires_seconds, bool) or not isinstance(expires_seconds, int):
        raise ValueError("expires_seconds must be an integer")
    if expires_seconds <= 0:
        raise ValueError("expires_seconds must be positive")
    return min(expires_seconds, MAX_PRESIGN_SECONDS)


class HashingReader:
    """A read-only stream that hashes and counts what passes through it.

    Wrapping the caller's stream lets `put` check the bytes that were actually sent, rather than
    trusting the sha256 and size it was given.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._hash = hashlib.sha256()
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        chunk = self._raw.read(n)
        if chunk:
            self._hash.update(chunk)
            self.count += len(chunk)
        return chunk

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    def has_more(self) -> bool:
        """True if the stream still holds bytes: it was longer than the size declared."""
        return bool(self._raw.read(1))


def check_content(
    key: str,
    *,
    actual_sha256: str,
    actual_size: int,
    stored_sha256: str | None,
    expected_sha256: str | None,
    expected_size: int | None,
) -> None:
    """Raise IntegrityError unless the bytes read match every checksum and size we know of."""
    if stored_sha256 is None:
        raise IntegrityError(f"{key}: no SHA-256 recorded for this object")
    if actual_sha256 != stored_sha256:
        raise IntegrityError(f"{key}: content does not match its recorded SHA-256")
    if expected_sha256 is not None and actual_sha256 != expected_sha256:
        raise IntegrityError(f"{key}: content does not match the expected SHA-256")
    if expected_size is not None and actual_size != expected_size:
        raise IntegrityError(f"{key}: size {actual_size} differs from the expected {expected_size}")


class ObjectStore(ABC):
    """Where document bytes live. Every backend passes the same contract tests.

    Keys are server-made (`validate_key`); an invalid key raises ValueError in every method.
    """

    @abstractmethod
    def ensure_ready(self) -> None:
        """Create the private bucket or the folder if missing. Safe to call repeatedly."""

    @abstractmethod
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
        """Store exactly `size` bytes read from `data` under a new key.

        Raises ObjectExists if the key is taken, and IntegrityError (leaving nothing behind) if
        what was written does not hash to `sha256` or is not `size` bytes long.
        """

    @abstractmethod
    def open(
        self, key: str, *, expected_sha256: str | None = None, expected_size: int | None = None
    ) -> bytes:
        """Return the object's bytes after checking them against the SHA-256 recorded at put
        time and, when given, against the expected SHA-256 and size (from the database row).

        Raises ObjectNotFound, or IntegrityError on any mismatch.
        """

    @abstractmethod
    def stat(self, key: str) -> StoredObject:
        """Describe the object without reading it. Raises ObjectNotFound."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """True if an object is stored under the key."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object. Deleting a missing key is not an error (sweeps may race)."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        """Yield the objects whose key starts with `prefix`, in ascending key order."""

    @abstractmethod
    def presigned_get(self, key: str, expires_seconds: int = MAX_PRESIGN_SECONDS) -> str | None:
        """A time-limited download URL (at most five minutes), or None if the backend has none.

        Only call this after the caller's authorization check: the URL is a bearer credential.
        """


def sweep_orphans(
    store: ObjectStore, referenced: Callable[[str], bool], older_than: datetime
) -> list[str]:
    """Delete objects that nothing refers to and that were written before `older_than` (REL-7).

    An upload writes its object before its row commits (REL-5), so a young unreferenced object
    is usually a commit in flight: the grace period (`older_than`) protects it. `referenced` must
    answer for rows and for pending intents alike. Returns the deleted keys.
    """
    if older_than.tzinfo is None:
        raise ValueError("older_than must be timezone-aware")
    # Collect first: deleting while a backend walks its listing would disturb the walk.
    candidates = [obj.key for obj in store.list() if obj.last_modified < older_than]
    deleted: list[str] = []
    for key in candidates:
        # Asked as late as possible, just before the delete, to keep the race window small.
        if referenced(key):
            continue
        store.delete(key)
        log.info("swept orphan object %s", key)
        deleted.append(key)
    return deleted
