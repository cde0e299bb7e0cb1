"""A private PostgreSQL cluster for one test session.

The cluster lives in a temporary directory, listens only on 127.0.0.1 on a free port, trades
durability for speed (no fsync), and is thrown away by ``stop()``. Debian's ``postgresql``
package provides the binaries. PostgreSQL refuses to run as root, so when the tests run as
root the server runs as the ``postgres`` system user.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shlex
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

USER = "tdkt"
DATABASE = "tdkt_test"
SYSTEM_USER = "postgres"
START_TIMEOUT = 30.0
DEBIAN_ROOT = Path("/usr/lib/postgresql")

# A unix socket path is limited to 107 bytes; keep a margin for ".s.PGSQL.NNNNN".
_MAX_SOCKET_DIR = 90

_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


@dataclass
class PgServer:
    """A running cluster; ``url`` is for SQLAlchemy (psycopg 3 driver)."""

    url: str
    port: int
    base_dir: Path
    data_dir: Path
    log_path: Path
    _pg_ctl: str = field(repr=False)
    _as_postgres: bool = field(repr=False)
    _stopped: bool = field(default=False, repr=False)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        try:
            _run(
                [self._pg_ctl, "stop", "-D", str(self.data_dir), "-m", "immediate", "-w"],
                as_postgres=self._as_postgres,
                cwd=self.base_dir,
                check=False,
            )
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)


def start_postgres(workdir: Path) -> PgServer:
    """Create, start and return a fresh cluster with an empty ``tdkt_test`` database."""
    initdb = _find_binary("initdb")
    pg_ctl = _find_binary("pg_ctl")
    as_postgres = os.geteuid() == 0
    base = _make_base_dir(Path(workdir), as_postgres)
    data = base / "data"
    log_path = base / "server.log"
    password = secrets.token_urlsafe(24)
    try:
        _init_cluster(initdb, base, data, password, as_postgres)
        port = _start(pg_ctl, base, data, log_path, as_postgres)
        _create_database(port, password, log_path)
    except BaseException:
        _run(
            [pg_ctl, "stop", "-D", str(data), "-m", "immediate", "-w"],
            as_postgres=as_postgres,
            cwd=base,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)
        raise
    return PgServer(
        url=f"postgresql+psycopg://{USER}:{password}@127.0.0.1:{port}/{DATABASE}",
        port=port,
        base_dir=base,
        data_dir=data,
        log_path=log_path,
        _pg_ctl=pg_ctl,
        _as_postgres=as_postgres,
    )


def _find_binary(name: str, root: Path = DEBIAN_ROOT) -> str:
    """The binary from the highest installed major version, else from PATH."""
    candidates = []
    for bin_dir in root.glob("*/bin"):
        version = bin_dir.parent.name
        if (bin_dir / name).is_file() and re.fullmatch(r"\d+(\.\d+)?", version):
            candidates.append((tuple(int(part) for part in version.split(".")), bin_dir / name))
    if candidates:
        return str(max(candidates)[1])
    found = shutil.which(name)
    if found:
        return found
    raise RuntimeError(
        f"PostgreSQL server binary {name!r} not found (looked in {root}/*/bin and "
        "on PATH). The tests need a real PostgreSQL server: install Debian's `postgresql` "
        "package (apt-get install postgresql)."
    )


def _make_base_dir(workdir: Path, as_postgres: bool) -> Path:
    """A fresh directory the server user owns, short enough to hold the unix socket."""
    usable = len(str(workdir / "pg-XXXXXXXX" / "data")) <= _MAX_SOCKET_DIR
    if usable and as_postgres:
        usable = _traversable_by(workdir, SYSTEM_USER)
    if usable:
        workdir.mkdir(parents=True, exist_ok=True)
        base = Path(tempfile.mkdtemp(prefix="pg-", dir=workdir))
    else:
        # pytest's own temporary directories are private to their owner (mode 0700).
        base = Path(tempfile.mkdtemp(prefix="tdkt-pg-"))
    if as_postgres:
        entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    return base


def _traversable_by(path: Path, user: str) -> bool:
    try:
        entry = pwd.getpwnam(user)
    except KeyError as exc:
        raise RuntimeError(
            f"the tests run as root, so PostgreSQL must run as the {user!r} system user, "
            "which does not exist: install Debian's `postgresql` package"
        ) from exc
    groups = set(os.getgrouplist(user, entry.pw_gid))
    path = path.resolve()
    for directory in (path, *path.parents):
        try:
            st = directory.stat()
        except FileNotFoundError:
            continue
        if st.st_uid == entry.pw_uid:
            allowed = st.st_mode & stat.S_IXUSR
        elif st.st_gid in groups:
            allowed = st.st_mode & stat.S_IXGRP
        else:
            allowed = st.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True


def _init_cluster(initdb: str, base: Path, data: Path, password: str, as_postgres: bool) -> None:
    pwfile = base / "pwfile"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o600)
    if as_postgres:
        entry = pwd.getpwnam(SYSTEM_USER)
        os.chown(pwfile, entry.pw_uid, entry.pw_gid)
    try:
        _run(
            [
                initdb,
                "-D",
                str(data),
                "--auth=scram-sha-256",
                f"--username={USER}",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            as_postgres=as_postgres,
            cwd=base,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    settings = dict(_SETTINGS, unix_socket_directories=f"'{data}'")
    with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write("\n# private test cluster\n")
        conf.writelines(f"{key} = {value}\n" for key, value in settings.items())


def _start(pg_ctl: str, base: Path, data: Path, log_path: Path, as_postgres: bool) -> int:
    """Start on a free port; retry when another process took the port in between."""
    for _attempt in range(3):
        port = _free_port()
        result = _run(
            [
                pg_ctl,
                "start",
                "-D",
                str(data),
                "-l",
                str(log_path),
                "-w",
                "-t",
                str(int(START_TIMEOUT)),
                "-o",
                f"-p {port}",
            ],
            as_postgres=as_postgres,
            cwd=base,
            check=False,
        )
        if result.returncode == 0:
            return port
        if "Address already in use" not in _tail(log_path):
            break
    raise RuntimeError(
        f"PostgreSQL did not start (pg_ctl exited {result.returncode}):\n"
        f"{result.stdout}{result.stderr}\n--- {log_path} ---\n{_tail(log_path)}"
    )


def _create_database(port: int, password: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with psycopg.connect(
                host="127.0.0.1",
                port=port,
                user=USER,
                password=password,
                dbname="postgres",
                autocommit=True,
                connect_timeout=5,
            ) as conn:
                conn.execute(f"CREATE DATABASE {DATABASE}")
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"PostgreSQL on 127.0.0.1:{port} accepted no connection within "
                    f"{START_TIMEOUT:.0f} s: {exc}\n--- {log_path} ---\n{_tail(log_path)}"
                ) from exc
            time.sleep(0.1)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def _run(
    argv: list[str], *, as_postgres: bool, cwd: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    if as_postgres:
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        if Path(runuser).exists():
            argv = [runuser, "-u", SYSTEM_USER, "--", *argv]
        else:
            argv = ["su", SYSTEM_USER, "-s", "/bin/sh", "-c", shlex.join(argv)]
    result = subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
        )
    return result
