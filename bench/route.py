"""One full commendation route, measured three ways side by side (DESIGN.md, "Performance budget").

A  the engine alone, in memory: ``runner.start`` then one approval per step;
B  the engine with its state saved to a one-table SQLite (WAL) file after every step
   (restore → complete → dump_state → UPDATE … COMMIT): the floor under any persistent service;
S  the service: the same route through the JSON API on a freshly migrated and seeded SQLite
   database, as the API tests drive it (create the dossier, then each actor lists their open
   tasks and completes theirs). Through the Flask test client, a real werkzeug server on
   127.0.0.1, or both.

DESIGN's target is S ≥ 0.4 × B in routes/s. The harness only reports: the machine is noisy, so
nothing here passes or fails on time. It does fail loudly if a route does not end approved.

    .venv/bin/python -m bench.route [--routes N] [--service-routes N] [--json out.json]
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import event
from werkzeug.serving import WSGIRequestHandler, make_server

from service.app import create_app
from service.config import PROJECT_ROOT, TestConfig
from service.db import migrate, seed
from service.db.session import UnitOfWork, make_engine
from service.domain.roles import KNOWN_ROLES
from service.engine import registry, runner

# The full approve route of workflows/bpmn/commendation.bpmn and who decides each step.
ROUTE: tuple[tuple[str, str], ...] = (
    ("unit_prepare", "donvi1"),
    ("unit_submit", "thutruong1"),
    ("cluster_review", "cum1"),
    ("board_appraisal", "bantdkt"),
    ("chairman_decision", "chutich"),
)
BPMN = PROJECT_ROOT / "workflows" / "bpmn" / "commendation.bpmn"
CAMPAIGN_CODE = "NUOC-RUT-2023"
TARGET_RATIO = 0.4
# The dossier tests/support/api.py opens: two proposal lines.
DOSSIER_PROPOSALS = [
    {"subject_type": "collective", "name": "Phòng Văn hóa và Thông tin",
     "award_code": "BK_CT_UBND", "summary": "Hoàn thành xuất sắc nhiệm vụ năm 2023"},
    {"subject_type": "individual", "name": "Nguyễn Thị Hồng Nhung",
     "award_code": "BK_CT_UBND", "summary": "Có nhiều sáng kiến"},
]

Route = Callable[[int], None]


class RouteFailed(RuntimeError):
    """A route did not go as the diagram says: the numbers would be meaningless."""


# -- A and B: the engine ------------------------------------------------------------------------


def _approve(wf: runner.Workflow, step: str) -> None:
    tasks = runner.open_tasks(wf)
    if [t.step for t in tasks] != [step]:
        raise RouteFailed(f"expected the single open task {step}, found {tasks}")
    runner.complete(wf, tasks[0].task_id, decision="approve", fields={},
                    service_data={"decided_by_role": tasks[0].role})


def _require_approved(wf: runner.Workflow) -> None:
    if runner.outcome(wf) != "approved":
        raise RouteFailed(f"route ended with outcome {runner.outcome(wf)!r}")


def engine_in_memory(model: registry.CompiledModel) -> Route:
    def route(n: int) -> None:
        wf = runner.start(model.spec_json, model.sha256, {"dossier_id": n})
        for step, _user in ROUTE:
            _approve(wf, step)
        _require_approved(wf)

    return route


class EngineOnSqlite:
    """Baseline B: one table (id, state_json, version), one transaction per step."""

    def __init__(self, path: Path, model: registry.CompiledModel) -> None:
        self.model = model
        self.statements = 0
        # isolation_level=None: we issue BEGIN ourselves, as service/db/session.py does.
        self.conn = sqlite3.connect(path, isolation_level=None)
        # The service's settings (service/db/session.py), so both pay the same fsync policy.
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("CREATE TABLE instance (id INTEGER PRIMARY KEY,"
                          " state_json TEXT NOT NULL, version INTEGER NOT NULL)")

    def _sql(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        self.statements += 1
        return self.conn.execute(sql, params)

    def route(self, n: int) -> None:
        spec_json, key = self.model.spec_json, self.model.sha256
        wf = runner.start(spec_json, key, {"dossier_id": n})
        self._sql("BEGIN IMMEDIATE")
        instance_id = self._sql("INSERT INTO instance (state_json, version) VALUES (?, 1)",
                                (runner.dump_state(wf),)).lastrowid
        self.conn.commit()
        for step, _user in ROUTE:
            self._sql("BEGIN IMMEDIATE")
            state_json, version = self._sql(
                "SELECT state_json, version FROM instance WHERE id = ?", (instance_id,)
            ).fetchone()
            wf = runner.restore(spec_json, key, state_json)
            _approve(wf, step)
            updated = self._sql(
                "UPDATE instance SET state_json = ?, version = version + 1"
                " WHERE id = ? AND version = ?", (runner.dump_state(wf), instance_id, version),
            ).rowcount
            if updated != 1:
                raise RouteFailed("instance row changed under the benchmark")
            self.conn.commit()
        _require_approved(wf)

    def close(self) -> None:
        self.conn.close()


# -- S: the service through its API -------------------------------------------------------------


class TestClientTransport:
    label = "Flask test client"

    def __init__(self, app) -> None:
        self.client = app.test_client()

    def request(self, method: str, path: str, token: str | None, body: Any = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.open(path, method=method, json=body, headers=headers)
        return response.status_code, response.get_json()

    def close(self) -> None:
        pass


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass  # one log line per request would be measured too


class HttpTransport:
    label = "HTTP to werkzeug on 127.0.0.1"

    def __init__(self, app) -> None:
        # threaded=True is what makes werkzeug speak HTTP/1.1, so one connection is kept alive.
        self.server = make_server("127.0.0.1", 0, app, threaded=True,
                                  request_handler=_QuietHandler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)

    def request(self, method: str, path: str, token: str | None, body: Any = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None

    def close(self) -> None:
        self.conn.close()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


TRANSPORTS = {"test-client": TestClientTransport, "http": HttpTransport}


@dataclass
class RequestStats:
    count: int = 0
    statements: int = 0
    seconds: list[float] = field(default_factory=list)


class ServiceRoute:
    """The service on its own fresh database, driven through /api/v1 by the five actors."""

    def __init__(self, folder: Path, transport: str) -> None:
        url = f"sqlite:///{folder / 'bench.sqlite3'}"
        config = TestConfig(folder / "var", database_url=url)
        engine = make_engine(url)
        try:
            migrate.upgrade(engine)
            with UnitOfWork(engine) as uow:
                seed.seed_demo(uow, password=config.DEMO_PASSWORD,
                               workflows_dir=config.WORKFLOWS_DIR)
                uow.commit()
        finally:
            engine.dispose()
        self.app = create_app(config)
        self.statements = 0
        event.listen(self.app.extensions["tdkt"].engine, "before_cursor_execute", self._count)
        self.transport = TRANSPORTS[transport](self.app)
        self.requests: dict[str, RequestStats] = {}
        self.meeting: dict | None = None
        # Argon2 login is slow on purpose and is not part of a route: tokens come first.
        self.tokens: dict[str, str] = {}
        for _step, user in ROUTE:
            self.tokens[user] = self._call("POST /auth/token", "POST", "/auth/token", None,
                                           {"username": user, "password": config.DEMO_PASSWORD},
                                           expect=201)["token"]
        campaigns = self._call("GET /campaigns", "GET", "/campaigns", "donvi1")["items"]
        self.campaign_id = next(c["id"] for c in campaigns if c["code"] == CAMPAIGN_CODE)
        self.reset()

    def _count(self, *_args: Any) -> None:
        self.statements += 1

    def reset(self) -> None:
        self.statements = 0
        self.requests = {}

    def _call(self, label: str, method: str, path: str, user: str | None, body: Any = None,
              *, expect: int = 200) -> Any:
        token = self.tokens.get(user) if user else None
        before, started = self.statements, time.perf_counter()
        status, payload = self.transport.request(method, f"/api/v1{path}", token, body)
        elapsed = time.perf_counter() - started
        stats = self.requests.setdefault(label, RequestStats())
        stats.count += 1
        stats.statements += self.statements - before
        stats.seconds.append(elapsed)
        if status != expect:
            raise RouteFailed(f"{method} {path} as {user}: HTTP {status} {payload}")
        return payload

    def route(self, n: int) -> None:
        dossier = self._call("POST /dossiers", "POST", "/dossiers", "donvi1", {
            "campaign_id": self.campaign_id, "title": f"Hồ sơ đo hiệu năng số {n}",
            "proposals": DOSSIER_PROPOSALS,
        }, expect=201)
        result = None
        for step, user in ROUTE:
            items = self._call("GET /tasks?state=open", "GET", "/tasks?state=open", user)["items"]
            mine = [t for t in items if t["dossier_id"] == dossier["id"]]
            if [t["step"] for t in mine] != [step]:
                raise RouteFailed(f"{user} expected the single task {step}, sees {mine}")
            body: dict[str, Any] = {"decision": "approve", "comment": ""}
            if step == "cluster_review":
                body["meeting"] = self._meeting(mine[0]["id"], user)
            result = self._call("POST /tasks/{id}/complete", "POST",
                                f"/tasks/{mine[0]['id']}/complete", user, body)
        if result is None or result["dossier"]["status"] != "approved":
            raise RouteFailed(f"dossier {dossier['id']} did not end approved: {result}")

    def _meeting(self, task_id: str, user: str) -> dict:
        """The cluster's meeting record (every member present), read once from the task form:
        all the bench's dossiers come from the same unit and so the same cluster."""
        if self.meeting is None:
            form = self._call("GET /tasks/{id}", "GET", f"/tasks/{task_id}", user)["form"]
            self.meeting = {"present": [m["id"] for m in form["meeting_members"]]}
        return self.meeting

    def close(self) -> None:
        self.transport.close()
        self.app.extensions["tdkt"].engine.dispose()


# -- measuring and reporting --------------------------------------------------------------------


@dataclass
class Measurement:
    key: str
    label: str
    route: Route
    routes: int
    seconds: list[float] = field(default_factory=list)
    wall: float = 0.0
    cpu: float = 0.0
    statements_per_route: float | None = None
    requests: dict[str, RequestStats] | None = None

    def run(self, count: int) -> None:
        gc.collect()  # do not charge the previous chunk's garbage to this one
        wall, cpu = time.perf_counter(), time.process_time()
        for n in range(len(self.seconds), len(self.seconds) + count):
            started = time.perf_counter()
            self.route(n)
            self.seconds.append(time.perf_counter() - started)
        self.wall += time.perf_counter() - wall
        self.cpu += time.process_time() - cpu

    @property
    def routes_per_s(self) -> float:
        return len(self.seconds) / self.wall

    @property
    def cpu_ms(self) -> float:
        return self.cpu * 1000 / len(self.seconds)

    def percentile_ms(self, p: int) -> float:
        if len(self.seconds) == 1:
            return self.seconds[0] * 1000
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[p - 1] * 1000


def run_interleaved(phases: list[Measurement], rounds: int) -> None:
    """Each measurement in ``rounds`` chunks, taken in turn, so that a burst of load from
    elsewhere on the machine falls on all of them rather than on whichever ran at that time."""
    for r in range(rounds):
        for phase in phases:
            phase.run(phase.routes // rounds + (1 if r < phase.routes % rounds else 0))


def environment() -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "spiffworkflow": metadata.version("SpiffWorkflow"),
        "flask": metadata.version("Flask"),
        "sqlalchemy": metadata.version("SQLAlchemy"),
    }


def report(env: dict[str, Any], results: list[Measurement], baseline: Measurement) -> str:
    load = ", ".join(f"{x:.2f}" for x in env["load_average"])
    lines = [
        f"TĐKT Flow: one full commendation route (start + {len(ROUTE)} approvals), side by side",
        f"{env['date']} · {env['platform']} · {env['cpus']} CPUs (load {load}) · "
        f"Python {env['python']} · SQLite {env['sqlite']} · SpiffWorkflow {env['spiffworkflow']}",
        "",
        f"{'':48}{'routes':>7}{'routes/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'CPU ms':>8}"
        f"{'SQL/route':>10}{'÷ B':>7}",
    ]
    for m in results:
        sql = "-" if m.statements_per_route is None else f"{m.statements_per_route:.0f}"
        lines.append(
            f"{m.label:48}{len(m.seconds):>7}{m.routes_per_s:>10.1f}{m.percentile_ms(50):>9.2f}"
            f"{m.percentile_ms(95):>9.2f}{m.cpu_ms:>8.2f}{sql:>10}"
            f"{m.routes_per_s / baseline.routes_per_s:>7.2f}"
        )
    lines += [
        "",
        f"÷ B: routes/s relative to B; DESIGN's target for the service is ≥ {TARGET_RATIO}.",
        "CPU ms: process CPU time per route (the werkzeug server runs in this process), steadier",
        "than wall time when the machine is busy. SQL/route: statements the database driver",
        "executes (BEGIN included, COMMIT not).",
    ]
    for m in results:
        if not m.requests:
            continue
        routes = len(m.seconds)
        lines += ["", f"{m.label}, per request:", f"  {'request':32}{'per route':>10}"
                  f"{'p50 ms':>9}{'ms/route':>10}{'SQL each':>10}"]
        for label, stats in m.requests.items():
            lines.append(
                f"  {label:32}{stats.count / routes:>10.0f}"
                f"{statistics.median(stats.seconds) * 1000:>9.2f}"
                f"{sum(stats.seconds) * 1000 / routes:>10.2f}"
                f"{stats.statements / stats.count:>10.1f}"
            )
    return "\n".join(lines)


def as_json(env: dict[str, Any], results: list[Measurement], baseline: Measurement) -> dict:
    def one(m: Measurement) -> dict[str, Any]:
        out: dict[str, Any] = {
            "label": m.label, "routes": len(m.seconds), "routes_per_s": m.routes_per_s,
            "p50_ms": m.percentile_ms(50), "p95_ms": m.percentile_ms(95),
            "mean_ms": statistics.fmean(m.seconds) * 1000, "cpu_ms_per_route": m.cpu_ms,
            "ratio_to_b": m.routes_per_s / baseline.routes_per_s,
            "statements_per_route": m.statements_per_route,
        }
        if m.requests:
            out["requests"] = {
                label: {"per_route": s.count / len(m.seconds),
                        "p50_ms": statistics.median(s.seconds) * 1000,
                        "statements_each": s.statements / s.count}
                for label, s in m.requests.items()
            }
        return out

    return {"environment": env, "route": [step for step, _user in ROUTE],
            "target_ratio": TARGET_RATIO, "results": {m.key: one(m) for m in results}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.route", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--routes", type=int, default=None,
                        help="timed routes for every measurement (default: 200 for the engine "
                             "baselines, 100 for the service)")
    parser.add_argument("--service-routes", type=int, default=None,
                        help="timed routes for the service only (overrides --routes)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed routes first (10)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="chunks each measurement is split into, taken in turn (5)")
    parser.add_argument("--transport", choices=("test-client", "http", "both"), default="both",
                        help="how the service is driven (default: both)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    engine_routes = args.routes or 200
    service_routes = args.service_routes or args.routes or 100
    if min(engine_routes, service_routes, args.rounds) < 1 or args.warmup < 0:
        parser.error("route and round counts must be positive")

    model = registry.compile_bpmn(BPMN.read_bytes(), set(KNOWN_ROLES))
    transports = ["test-client", "http"] if args.transport == "both" else [args.transport]
    with tempfile.TemporaryDirectory(prefix="tdkt-bench-") as tmp, ExitStack() as cleanup:
        folder = Path(tmp)
        on_disk = EngineOnSqlite(folder / "engine.sqlite3", model)
        cleanup.callback(on_disk.close)
        baseline = Measurement("engine_sqlite", "B  engine + SQLite (WAL), saved every step",
                               on_disk.route, engine_routes)
        results = [Measurement("engine_memory", "A  engine, in memory",
                               engine_in_memory(model), engine_routes), baseline]
        services = []
        for name in transports:
            service = ServiceRoute(folder / name, name)
            cleanup.callback(service.close)
            services.append(service)
            results.append(Measurement(f"service_{name.replace('-', '_')}",
                                       f"S  service API, {service.transport.label}",
                                       service.route, service_routes))
        for phase in results:
            for n in range(args.warmup):
                phase.route(-1 - n)
        # Count from here: the warm-up above is not part of the measurement.
        on_disk.statements = 0
        for service in services:
            service.reset()
        run_interleaved(results, args.rounds)
        baseline.statements_per_route = on_disk.statements / engine_routes
        for phase, service in zip(results[2:], services, strict=True):
            phase.statements_per_route = service.statements / phase.routes
            phase.requests = service.requests

    env = environment()
    print(report(env, results, baseline))
    if args.json:
        args.json.write_text(json.dumps(as_json(env, results, baseline), indent=2,
                                        ensure_ascii=False) + "\n")
        print(f"\nwritten: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
