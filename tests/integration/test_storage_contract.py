"""The object-store contract: every test runs against FileStore and against S3Store on a real S3
server (REL-5, REL-6, REL-7, DOC-7, DOC-9). Both stores are built through store_from_config."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from minio import Minio

from storage import (
    FileStore,
    IntegrityError,
    ObjectExists,
    ObjectNotFound,
    ObjectStore,
    S3Store,
    StorageError,
    StoredObject,
    store_from_config,
    sweep_orphans,
)
from tests.support.s3server import S3Server, start_s3

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "Tờ trình đề nghị khen thưởng — Ủy ban nhân dân tỉnh Quảng Ngãi. ".encode()


@dataclass
class Harness:
    kind: str
    store: ObjectStore
    corrupt: Callable[[str, bytes], None]  # rewrites an object behind the store's back


def new_key(dossier: int = 1) -> str:
    return f"dossiers/{dossier:06d}/documents/000001/v0001-{uuid.uuid4().hex}.docx"


def put(store: ObjectStore, key: str, data: bytes, **overrides: object) -> StoredObject:
    arguments: dict[str, object] = {
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "content_type": DOCX_TYPE,
    }
    arguments.update(overrides)
    return store.put(key, io.BytesIO(data), **arguments)  # type: ignore[arg-type]


def raw_client(server: S3Server) -> Minio:
    return Minio(
        server.endpoint,
        access_key=server.access_key,
        secret_key=server.secret_key,
        secure=server.secure,
    )


def s3_config(server: S3Server, bucket: str, **overrides: str) -> dict[str, object]:
    config: dict[str, object] = {
        "STORAGE_BACKEND": "s3",
        "S3_ENDPOINT": server.endpoint,
        "S3_ACCESS_KEY": server.access_key,
        "S3_SECRET_KEY": server.secret_key,
        "S3_BUCKET": bucket,
        "S3_SECURE": "true" if server.secure else "false",
    }
    config.update(overrides)
    return config


def drop_bucket(client: Minio, bucket: str) -> None:
    if not client.bucket_exists(bucket):
        return
    for item in client.list_objects(bucket, recursive=True):
        client.remove_object(bucket, item.object_name)
    client.remove_bucket(bucket)


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    """GET without credentials; every response is closed so no socket leaks."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


@pytest.fixture(params=["file", "s3"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    if request.param == "file":
        root = tmp_path / "objects"
        store = store_from_config({"STORAGE_BACKEND": "file", "STORAGE_FILE_ROOT": str(root)})
        assert isinstance(store, FileStore)
        store.ensure_ready()

        def corrupt_file(key: str, data: bytes) -> None:
            root.joinpath(*key.split("/")).write_bytes(data)

        yield Harness("file", store, corrupt_file)
        return
    server: S3Server = request.getfixturevalue("s3_server")
    bucket = f"tdkt-test-{uuid.uuid4().hex[:20]}"
    store = store_from_config(s3_config(server, bucket))
    assert isinstance(store, S3Store)
    store.ensure_ready()
    raw = raw_client(server)

    def corrupt_object(key: str, data: bytes) -> None:
        # Bit rot keeps the metadata: only the bytes change.
        before = store.stat(key)
        raw.put_object(
            bucket,
            key,
            io.BytesIO(data),
            len(data),
            content_type=before.content_type,
            metadata={"sha256": before.sha256 or ""},
        )

    try:
        yield Harness("s3", store, corrupt_object)
    finally:
        drop_bucket(raw, bucket)


# -- the contract, for both backends -------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1000, 6 * 1024 * 1024 + 1])  # 6 MiB: a multipart upload
def test_put_open_round_trip(harness: Harness, size: int) -> None:
    data = (TEXT * (size // len(TEXT) + 1))[:size]
    key = new_key()
    sha = hashlib.sha256(data).hexdigest()
    stored = put(harness.store, key, data, metadata={"kind": "to-trinh"})
    assert (stored.key, stored.size, stored.sha256, stored.content_type) == (
        key,
        size,
        sha,
        DOCX_TYPE,
    )
    assert stored.last_modified.tzinfo is not None
    assert abs(stored.last_modified - datetime.now(UTC)) < timedelta(minutes=5)
    assert harness.store.open(key) == data
    assert harness.store.open(key, expected_sha256=sha, expected_size=size) == data
    assert harness.store.stat(key) == stored
    assert harness.store.exists(key)


@pytest.mark.parametrize(
    ("case", "overrides"),
    [
        ("wrong sha256", {"sha256": hashlib.sha256(b"other").hexdigest()}),
        ("stream shorter than size", {"size": len(TEXT) + 1}),
        ("stream longer than size", {"size": len(TEXT) - 1}),
    ],
)
def test_put_refuses_content_that_does_not_match(
    harness: Harness, case: str, overrides: dict[str, object]
) -> None:
    key = new_key()
    overrides = dict(overrides)  # the parameter is shared by both backends
    if isinstance(size := overrides.get("size"), int):
        # The checksum of what the caller meant to send: only the length is wrong.
        overrides["sha256"] = hashlib.sha256(TEXT[:size]).hexdigest()
    with pytest.raises(IntegrityError):
        put(harness.store, key, TEXT, **overrides)
    assert not harness.store.exists(key), case
    assert list(harness.store.list()) == []


def test_put_never_overwrites(harness: Harness) -> None:
    key = new_key()
    put(harness.store, key, TEXT)
    with pytest.raises(ObjectExists):
        put(harness.store, key, b"a new version needs a new key")
    assert harness.store.open(key) == TEXT


def test_corruption_out_of_band_is_detected(harness: Harness) -> None:
    key = new_key()
    stored = put(harness.store, key, TEXT)
    flipped = bytes([TEXT[0] ^ 0x01]) + TEXT[1:]
    harness.corrupt(key, flipped)
    with pytest.raises(IntegrityError):
        harness.store.open(key)
    with pytest.raises(IntegrityError):
        harness.store.open(key, expected_sha256=stored.sha256, expected_size=stored.size)
    harness.corrupt(key, TEXT + b"appended")
    with pytest.raises(IntegrityError):
        harness.store.open(key, expected_size=stored.size)


def test_open_checks_the_expected_values(harness: Harness) -> None:
    key = new_key()
    put(harness.store, key, TEXT)
    with pytest.raises(IntegrityError):
        harness.store.open(key, expected_sha256=hashlib.sha256(b"row says").hexdigest())
    for size in (len(TEXT) - 1, len(TEXT) + 1):
        with pytest.raises(IntegrityError):
            harness.store.open(key, expected_size=size)


BAD_KEYS = [
    "",
    "/dossiers/1.pdf",
    "../x.pdf",
    "dossiers/../x.pdf",
    "dossiers/./x.pdf",
    "dossiers//x.pdf",
    "dossiers/",
    "Dossiers/x.pdf",
    "dossiers/a b.pdf",
    "dossiers\\x.pdf",
    "dossiers/ký.pdf",
    "dossiers/x\x00.pdf",
    "dossiers/x.pdf~meta.json",
    "x" * 1025,
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_invalid_keys_are_refused(harness: Harness, key: str) -> None:
    store = harness.store
    operations: list[Callable[[], object]] = [
        lambda: put(store, key, TEXT),
        lambda: store.open(key),
        lambda: store.stat(key),
        lambda: store.exists(key),
        lambda: store.delete(key),
        lambda: store.presigned_get(key),
    ]
    for operation in operations:
        with pytest.raises(ValueError):
            operation()
    assert list(store.list()) == []


def test_put_refuses_bad_arguments(harness: Harness) -> None:
    key = new_key()
    for overrides in (
        {"sha256": "ABC"},
        {"size": -1},
        {"content_type": "text/html\r\nX-Evil: 1"},
        {"metadata": {"sha256": "0" * 64}},
        {"metadata": {"tên": "x"}},
        {"metadata": {"title": "Báo cáo"}},  # not ASCII: keep display names in the row
    ):
        with pytest.raises(ValueError):
            put(harness.store, key, TEXT, **overrides)
    assert not harness.store.exists(key)


def test_list_by_prefix(harness: Harness) -> None:
    first = sorted(new_key(1) for _ in range(3))
    other = new_key(2)
    for key in [*first, other]:
        put(harness.store, key, TEXT)
    assert [o.key for o in harness.store.list("dossiers/000001/")] == first
    assert [o.key for o in harness.store.list("dossiers/00000")] == [*first, other]
    assert [o.key for o in harness.store.list()] == [*first, other]
    assert list(harness.store.list("dossiers/000003/")) == []
    listed = next(iter(harness.store.list("dossiers/000002/")))
    assert listed == harness.store.stat(other)
    assert listed.sha256 == hashlib.sha256(TEXT).hexdigest()
    with pytest.raises(ValueError):
        list(harness.store.list("../"))


def test_delete(harness: Harness) -> None:
    key = new_key()
    put(harness.store, key, TEXT)
    harness.store.delete(key)
    assert not harness.store.exists(key)
    with pytest.raises(ObjectNotFound):
        harness.store.open(key)
    with pytest.raises(ObjectNotFound):
        harness.store.stat(key)
    harness.store.delete(key)  # idempotent: a sweep may race another
    assert list(harness.store.list()) == []


def test_stat_and_missing_objects(harness: Harness) -> None:
    key = new_key()
    data = b"%PDF-1.7 quyet dinh"
    put(harness.store, key, data, content_type="application/pdf")
    info = harness.store.stat(key)
    assert (info.size, info.sha256, info.content_type) == (
        len(data),
        hashlib.sha256(data).hexdigest(),
        "application/pdf",
    )
    missing = new_key()
    assert not harness.store.exists(missing)
    with pytest.raises(ObjectNotFound):
        harness.store.stat(missing)
    with pytest.raises(ObjectNotFound):
        harness.store.open(missing)


def test_ensure_ready_is_idempotent(harness: Harness) -> None:
    harness.store.ensure_ready()
    harness.store.ensure_ready()


def test_presigned_lifetime_is_validated(harness: Harness) -> None:
    key = new_key()
    put(harness.store, key, TEXT)
    for bad in (0, -5):
        with pytest.raises(ValueError):
            harness.store.presigned_get(key, expires_seconds=bad)


def test_sweep_orphans_respects_the_grace_period(harness: Harness) -> None:
    kept, *orphans = (new_key() for _ in range(3))
    for key in (kept, *orphans):
        put(harness.store, key, TEXT)
    asked: list[str] = []

    def referenced(key: str) -> bool:
        asked.append(key)
        return key == kept

    now = datetime.now(UTC)
    # Young objects may belong to an upload whose row has not committed yet (REL-5).
    assert sweep_orphans(harness.store, referenced, older_than=now - timedelta(hours=1)) == []
    assert asked == []
    assert all(harness.store.exists(key) for key in (kept, *orphans))
    deleted = sweep_orphans(harness.store, referenced, older_than=now + timedelta(minutes=1))
    assert sorted(deleted) == sorted(orphans)
    assert harness.store.exists(kept)
    assert not any(harness.store.exists(key) for key in orphans)
    with pytest.raises(ValueError):
        sweep_orphans(harness.store, referenced, older_than=datetime.now())  # naive


# -- what only one backend has ------------------------------------------------------------------


def test_file_store_says_it_is_for_development(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="storage.filestore"):
        store = FileStore(tmp_path)
    assert "development" in caplog.text
    assert FileStore.__doc__ is not None and "development" in FileStore.__doc__
    key = new_key()
    put(store, key, TEXT)
    assert store.presigned_get(key) is None  # the app streams files itself
    assert [p.name for p in tmp_path.rglob("*") if p.is_file() and "~tmp-" in p.name] == []


@pytest.fixture
def s3_store(s3_server: S3Server) -> Iterator[S3Store]:
    bucket = f"tdkt-test-{uuid.uuid4().hex[:20]}"
    store = store_from_config(s3_config(s3_server, bucket))
    assert isinstance(store, S3Store)
    store.ensure_ready()
    try:
        yield store
    finally:
        drop_bucket(raw_client(s3_server), bucket)


def object_url(server: S3Server, bucket: str, key: str = "") -> str:
    scheme = "https" if server.secure else "http"
    return f"{scheme}://{server.endpoint}/{bucket}/{key}"


def test_s3_wrong_secret_key_is_refused(s3_server: S3Server, s3_store: S3Store) -> None:
    key = new_key()
    put(s3_store, key, TEXT)
    intruder = store_from_config(
        s3_config(s3_server, s3_store.bucket, S3_SECRET_KEY="not-the-secret-key-0123456789")
    )
    operations: list[Callable[[], object]] = [
        intruder.ensure_ready,
        lambda: intruder.stat(key),
        lambda: intruder.open(key),
        lambda: intruder.exists(key),
        lambda: put(intruder, new_key(), TEXT),
        lambda: list(intruder.list()),
    ]
    for operation in operations:
        with pytest.raises(StorageError) as caught:
            operation()
        assert not isinstance(caught.value, ObjectNotFound)


def test_s3_anonymous_get_is_forbidden(s3_server: S3Server, s3_store: S3Store) -> None:
    key = new_key()
    put(s3_store, key, TEXT)
    status, _headers, body = fetch(object_url(s3_server, s3_store.bucket, key))
    assert status == 403
    assert TEXT not in body
    assert fetch(object_url(s3_server, s3_store.bucket))[0] == 403  # no anonymous listing


def test_s3_ensure_ready_refuses_a_public_bucket(s3_server: S3Server, s3_store: S3Store) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["*"]},
                "Action": ["s3:GetObject"],
                "Resource": [f"arn:aws:s3:::{s3_store.bucket}/*"],
            }
        ],
    }
    raw_client(s3_server).set_bucket_policy(s3_store.bucket, json.dumps(policy))
    with pytest.raises(StorageError, match="anonymous"):
        s3_store.ensure_ready()


def test_s3_presigned_url_works_and_is_capped(s3_store: S3Store) -> None:
    key = new_key()
    put(s3_store, key, TEXT)
    url = s3_store.presigned_get(key, expires_seconds=3600)
    assert url is not None
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["300"]
    status, headers, body = fetch(url)
    assert (status, body) == (200, TEXT)
    assert headers.get("Content-Disposition", "").startswith("attachment")


def test_s3_presigned_url_expires(s3_store: S3Store) -> None:
    key = new_key()
    put(s3_store, key, TEXT)
    url = s3_store.presigned_get(key, expires_seconds=1)
    assert url is not None
    time.sleep(2.2)
    assert fetch(url)[0] == 403


def listening_addresses(pid: int) -> list[str]:
    """Local addresses of the process's listening TCP sockets and bound UDP sockets, from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            listening = table.startswith("udp") or fields[3] == "0A"
            if fields[9] in inodes and listening:
                address, port = fields[1].split(":")
                if table.endswith("6"):
                    found.append(f"[{address}]:{int(port, 16)}")
                else:
                    ip = ".".join(str(b) for b in reversed(bytes.fromhex(address)))
                    found.append(f"{ip}:{int(port, 16)}")
    return found


def test_s3_test_server_is_loopback_only_and_stops_cleanly(tmp_path: Path) -> None:
    server = start_s3(tmp_path)
    try:
        assert server.process is not None
        pid = server.process.pid
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert b"-master.telemetry=false" in command
        addresses = listening_addresses(pid)
        assert f"127.0.0.1:{server.endpoint.rpartition(':')[2]}" in addresses
        assert all(address.startswith("127.0.0.1:") for address in addresses), addresses
        assert (tmp_path / "weed.log").stat().st_size > 0
    finally:
        server.stop()
    assert server.process.poll() is not None
    assert not [path for path in server.leftovers if path.exists()]
    server.stop()  # twice is harmless


def test_factory_refuses_incomplete_configuration() -> None:
    complete = {
        "STORAGE_BACKEND": "s3",
        "S3_ENDPOINT": "127.0.0.1:9000",
        "S3_ACCESS_KEY": "tdkt",
        "S3_SECRET_KEY": "secret-secret",
        "S3_BUCKET": "tdkt-documents",
    }
    assert isinstance(store_from_config(complete), S3Store)
    assert isinstance(store_from_config({}), FileStore)  # embedded by default
    for config in (
        {"STORAGE_BACKEND": "ftp"},
        {"STORAGE_BACKEND": "s3"},
        {**complete, "S3_SECRET_KEY": ""},
        {**complete, "S3_SECURE": "maybe"},
        {**complete, "S3_BUCKET": "Not_A_Bucket"},
    ):
        with pytest.raises(ValueError):
            store_from_config(config)
