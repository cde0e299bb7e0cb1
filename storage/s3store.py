"""Objects in an S3 bucket through the minio SDK: production runs this against MinIO.

Only plain S3 calls are used, so any S3 server works (the tests run SeaweedFS).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, BinaryIO, NoReturn

import certifi
import urllib3
from minio import Minio
from minio.error import MinioException, S3Error
from minio.helpers import check_bucket_name

from storage.base import (
    CHUNK_SIZE,
    HashingReader,
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

# The SDK sends no checksum headers, so the SHA-256 travels as user metadata (x-amz-meta-sha256).
SHA256_HEADER = "x-amz-meta-sha256"
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound"})


class S3Store(ObjectStore):
    """Objects in one private bucket of an S3 server (MinIO in production).

    The bucket is never given a policy: objects are reached only with the app's key or through a
    presigned URL that lives at most five minutes (DOC-7, DOC-9).
    """

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool = False,
        region: str | None = None,
    ) -> None:
        check_bucket_name(bucket, strict=True)
        self.bucket = bucket
        self.region = region
        self._client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=_http_client(),
        )

    def ensure_ready(self) -> None:
        with _s3_errors(None):
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket, location=self.region)
                except S3Error as exc:
                    # Another app process may have created it between the two calls.
                    if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
            self._refuse_public_bucket()

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
        validate_key(key)
        user_metadata = validate_put(
            size=size, sha256=sha256, content_type=content_type, metadata=metadata
        )
        # S3 has no portable "create only" put in this SDK, so this check leaves a window; keys
        # hold a random UUID and outbox keys are written by one job at a time (REL-4), so only
        # a bug could reach it, and this check turns that bug into an error.
        if self.exists(key):
            raise ObjectExists(key)
        reader = HashingReader(data)
        try:
            with _s3_errors(key):
                self._client.put_object(
                    self.bucket,
                    key,
                    reader,
                    size,
                    content_type=content_type,
                    metadata={"sha256": sha256, **user_metadata},
                )
        except StorageError as exc:
            if reader.count < size and not reader.has_more():
                # The SDK refuses a stream shorter than `size` (it stops reading at its end);
                # a transport failure, by contrast, leaves bytes unread in the stream.
                raise IntegrityError(f"{key}: stream ended after {reader.count} bytes") from exc
            raise
        if reader.has_more() or reader.count != size:
            self._discard(key, f"stream length differs from the declared {size} bytes")
        if reader.hexdigest() != sha256:
            self._discard(key, "written bytes do not match the SHA-256")
        stored = self.stat(key)
        if stored.size != size or stored.sha256 != sha256:
            self._discard(key, "the server holds a different size or checksum")
        return stored

    def _discard(self, key: str, problem: str) -> NoReturn:
        """Remove an object that failed its write check, so nothing unverified stays stored."""
        self.delete(key)
        raise IntegrityError(f"{key}: {problem}")

    def open(
        self, key: str, *, expected_sha256: str | None = None, expected_size: int | None = None
    ) -> bytes:
        validate_key(key)
        with _s3_errors(key):
            response = self._client.get_object(self.bucket, key)
        try:
            stored_sha256 = response.headers.get(SHA256_HEADER)
            digest = hashlib.sha256()
            parts: list[bytes] = []
            count = 0
            with _s3_errors(key):
                for chunk in response.stream(CHUNK_SIZE):
                    count += len(chunk)
                    if expected_size is not None and count > expected_size:
                        # Stop before a grown (corrupted) object fills memory.
                        raise IntegrityError(f"{key}: larger than the expected {expected_size}")
                    digest.update(chunk)
                    parts.append(chunk)
        finally:
            response.close()
            response.release_conn()
        check_content(
            key,
            actual_sha256=digest.hexdigest(),
            actual_size=count,
            stored_sha256=stored_sha256,
            expected_sha256=expected_sha256,
            expected_size=expected_size,
        )
        return b"".join(parts)

    def stat(self, key: str) -> StoredObject:
        validate_key(key)
        with _s3_errors(key):
            info = self._client.stat_object(self.bucket, key)
        sha = info.metadata.get(SHA256_HEADER) if info.metadata is not None else None
        if info.size is None or info.last_modified is None:
            raise StorageError(f"{key}: the server did not report size and modification time")
        return StoredObject(
            key=key,
            size=info.size,
            sha256=sha,
            content_type=info.content_type or "application/octet-stream",
            last_modified=info.last_modified,
        )

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        validate_key(key)
        with _s3_errors(key):
            self._client.remove_object(self.bucket, key)

    def list(self, prefix: str = "") -> Iterator[StoredObject]:
        validate_prefix(prefix)
        with _s3_errors(None):
            listing = self._client.list_objects(self.bucket, prefix=prefix or None, recursive=True)
            for item in listing:
                name = item.object_name
                if item.is_dir or name is None or not is_key(name):
                    continue  # not written by this store
                # A listing carries neither the checksum nor the content type: ask for each.
                try:
                    yield self.stat(name)
                except ObjectNotFound:
                    continue  # deleted while we were listing

    def presigned_get(self, key: str, expires_seconds: int = 300) -> str | None:
        validate_key(key)
        seconds = presign_seconds(expires_seconds)
        with _s3_errors(key):
            return self._client.presigned_get_object(
                self.bucket,
                key,
                expires=timedelta(seconds=seconds),
                # Browsers must download, never render, what a user uploaded (DOC-7).
                response_headers={"response-content-disposition": "attachment"},
            )

    def _refuse_public_bucket(self) -> None:
        """Fail fast if someone gave the bucket a policy that lets anonymous users in (DOC-9)."""
        try:
            policy = self._client.get_bucket_policy(self.bucket)
        except S3Error as exc:
            if exc.code == "NoSuchBucketPolicy":
                return
            if exc.code in ("AccessDenied", "NotImplemented", "MethodNotAllowed"):
                # A key scoped to its bucket may not read the policy; that is the intended setup.
                log.info("cannot read the policy of bucket %s (%s)", self.bucket, exc.code)
                return
            raise
        if _grants_anonymous_access(policy):
            raise StorageError(f"bucket {self.bucket} has a policy that allows anonymous access")


@contextlib.contextmanager
def _s3_errors(key: str | None) -> Iterator[None]:
    """Turn SDK and transport errors into storage errors; a missing key is ObjectNotFound."""
    try:
        yield
    except S3Error as exc:
        if key is not None and exc.code in _NOT_FOUND_CODES:
            raise ObjectNotFound(key) from exc
        raise StorageError(f"S3 error {exc.code}: {exc.message}") from exc
    except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise StorageError(f"S3 request failed: {exc}") from exc


def _http_client() -> urllib3.PoolManager:
    """The SDK's default client, with timeouts a web request can wait for (it uses 5 minutes)."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=10, read=120),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )


def _grants_anonymous_access(policy: str) -> bool:
    try:
        document: Any = json.loads(policy)
    except ValueError:
        return False
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if isinstance(principal, dict):
            principal = principal.get("AWS")
        if principal == "*" or (isinstance(principal, list) and "*" in principal):
            return True
    return False
