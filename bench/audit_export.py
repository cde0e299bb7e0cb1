"""Audit-trail export throughput, measured against a plain scan of the same rows in the same run.

The trail is filled with N chained events (default 1,000,000: one a second from 2020-01-01, so
the first day holds 86,400), on a fresh SQLite database built as the tests build theirs. Then,
in rounds taken in turn so that a burst of load elsewhere falls on all of them:

S  a SELECT scan of the trail with the export's batching (keyset pages of 1,000 rows, each on
   a short connection of its own, until a short page), the rows fetched and dropped: the
   floor under any export;
J  ``export.write_to`` in JSON Lines, to a file;
C  the same in CSV;
D  the SELECT scan of the first day only, and
X  the XLSX export of that day (openpyxl is far slower, so it gets fewer events);
V  ``tdkt-verify``'s check of each file written, in this process.

Reported: events per second (median of the rounds) and, for each export, that rate divided by
the scan's over the same rows. Nothing here passes or fails on time; it does fail if a file
does not verify.

    .venv/bin/python -m bench.audit_export [--events N] [--rounds N]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, select

from service.app import create_app
from service.audit import export as audit_export
from service.audit import verify_file
from service.audit.chain import CHAINED_FIELDS, GENESIS, event_hash
from service.config import TestConfig
from service.db import migrate
from service.db.models import AuditEvent

START = datetime(2020, 1, 1)
FIRST_DAY = audit_export.ExportFilter.parse({"from": "2020-01-01", "to": "2020-01-01"})
EVERYTHING = audit_export.ExportFilter()
_audit = AuditEvent.__table__


def fill(engine: Engine, count: int) -> None:
    """Chained events, built here with ``event_hash`` and inserted with Core in large batches."""
    prev = GENESIS
    with engine.begin() as conn:
        rows = []
        for n in range(count):
            at = START + timedelta(seconds=n)
            record = dict.fromkeys(CHAINED_FIELDS) | {
                "id": n + 1, "at": f"{at:%Y-%m-%dT%H:%M:%S.%f}Z", "actor_id": 7,
                "actor": "donvi1", "role": "unit_staff", "organisation_id": 3,
                "organisation": "Phòng Văn hóa và Thông tin", "action": "task.completed",
                "target_type": "task", "target_id": str(n), "dossier_id": n // 6,
                "step": "unit_submit", "decision": "approve", "comment": "Đồng ý trình cụm.",
                "details": json.dumps({"step_before": "unit_prepare"}),
                "documents": json.dumps([{"id": n, "version": 1, "sha256": "ab" * 32}]),
                "request_id": f"req-{n}", "address": "10.0.0.1", "prev_hash": prev}
            record["hash"] = prev = event_hash(record)
            rows.append({**record, "at": at})
            if len(rows) == 20_000:
                conn.execute(insert(_audit), rows)
                rows = []
        if rows:
            conn.execute(insert(_audit), rows)


def scan(engine: Engine, params: audit_export.ExportFilter) -> int:
    """The export's reads and nothing else: keyset pages of 1,000 on short connections."""
    conditions = []
    if params.start:
        conditions.append(_audit.c.at >= params.start)
    if params.end:
        conditions.append(_audit.c.at < params.end)
    last_id, count = 0, 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(select(_audit).where(_audit.c.id > last_id, *conditions)
                                .order_by(_audit.c.id).limit(1000)).all()
        count += len(rows)
        if len(rows) < 1000:
            return count
        last_id = rows[-1].id


@dataclass
class Measurement:
    key: str
    label: str
    run: Callable[[], int]
    baseline: Measurement | None = None
    rates: list[float] = field(default_factory=list)
    events: int = 0
    size: int | None = None

    def once(self) -> None:
        gc.collect()
        started = time.perf_counter()
        self.events = self.run()
        self.rates.append(self.events / (time.perf_counter() - started))

    @property
    def rate(self) -> float:
        return statistics.median(self.rates)


def exporter(app, fmt: str, params: audit_export.ExportFilter, path: Path) -> Callable[[], int]:
    tdkt = app.extensions["tdkt"]

    def run() -> int:
        with path.open("wb") as out:
            return audit_export.write_to(tdkt.engine, fmt, params, tdkt.audit_signer,
                                         tdkt.store, out)

    return run


def verifier(path: Path, key: str) -> Callable[[], int]:
    def run() -> int:
        return verify_file.verify(path, key).events

    return run


def report(env: dict, results: list[Measurement], rounds: int) -> str:
    load = ", ".join(f"{x:.2f}" for x in env["load_average"])
    lines = [
        f"TĐKT Flow: audit export, median of {rounds} rounds, side by side",
        f"{env['date']} · {env['platform']} · {env['cpus']} CPUs (load {load}) · "
        f"Python {env['python']} · SQLite {env['sqlite']}",
        "",
        f"{'':40}{'events':>10}{'events/s':>11}{'MiB':>8}{'÷ scan':>8}",
    ]
    for m in results:
        size = "-" if m.size is None else f"{m.size / 2**20:.0f}"
        ratio = "-" if m.baseline is None else f"{m.rate / m.baseline.rate:.2f}"
        lines.append(f"{m.label:40}{m.events:>10,}{m.rate:>11,.0f}{size:>8}{ratio:>8}")
    lines += ["", "÷ scan: events/s divided by the scan's over the same rows (S, or D for the "
                  "day). MiB: the file written."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.audit_export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000,
                        help="events in the trail (1,000,000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, taken in turn (3)")
    args = parser.parse_args(argv)
    if min(args.events, args.rounds) < 1:
        parser.error("counts must be positive")

    with tempfile.TemporaryDirectory(prefix="tdkt-bench-") as tmp:
        folder = Path(tmp)
        app = create_app(TestConfig(folder / "var"))
        tdkt = app.extensions["tdkt"]
        migrate.upgrade(tdkt.engine)
        started = time.perf_counter()
        fill(tdkt.engine, args.events)
        print(f"{args.events:,} events inserted in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
        full = Measurement("scan", "S  SELECT scan, same batches",
                           lambda: scan(tdkt.engine, EVERYTHING))
        day = Measurement("scan_day", "D  SELECT scan, first day",
                          lambda: scan(tdkt.engine, FIRST_DAY))
        files = {fmt: folder / f"export.{fmt}" for fmt in audit_export.FORMATS}
        exports = [
            Measurement("jsonl", "J  export JSONL", exporter(app, "jsonl", EVERYTHING,
                                                            files["jsonl"]), full),
            Measurement("csv", "C  export CSV", exporter(app, "csv", EVERYTHING, files["csv"]),
                        full),
            Measurement("xlsx", "X  export XLSX, first day", exporter(app, "xlsx", FIRST_DAY,
                                                                     files["xlsx"]), day),
        ]
        phases = [full, *exports[:2], day, exports[2]]
        for r in range(args.rounds):
            for phase in phases:
                phase.once()
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
        key = tdkt.audit_signer.public_key
        checks = [Measurement(f"verify_{fmt}", f"V  tdkt-verify {fmt.upper()}",
                              verifier(path, key)) for fmt, path in files.items()]
        for check in checks:
            check.once()
        for m in exports:
            m.size = files[m.key].stat().st_size
        tdkt.engine.dispose()

    env = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
           "platform": platform.platform(), "cpus": os.cpu_count(),
           "load_average": os.getloadavg(), "python": platform.python_version(),
           "sqlite": sqlite3.sqlite_version}
    print(report(env, [*phases, *checks], args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
