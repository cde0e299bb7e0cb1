"""Flask commands: db upgrade, seed-demo, import-bpmn, audit verify, sweep, worker."""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from service.audit import checkpoints
from service.audit import export as audit_export
from service.audit.log import RequestContext
from service.db import migrate, seed
from service.jobs import queue
from service.usecases import deadlines, notifications, papers, process_models
from service.usecases.errors import InvalidInput
from service.web.extensions import services, unit_of_work

log = logging.getLogger("tdkt.worker")

# Modules whose import registers the handlers of the jobs the worker runs.
JOB_MODULES = (deadlines, notifications, papers)

db_cli = AppGroup("db", help="Cơ sở dữ liệu.")
audit_cli = AppGroup("audit", help="Nhật ký kiểm toán.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply the Alembic migrations."""
    migrate.upgrade(services().engine)
    click.echo("Đã cập nhật lược đồ cơ sở dữ liệu.")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load the demo province, accounts and campaign (idempotent)."""
    cfg = services().config
    with unit_of_work() as uow:
        created = seed.seed_demo(uow, password=cfg.DEMO_PASSWORD, workflows_dir=cfg.WORKFLOWS_DIR)
        uow.commit()
    click.echo("Đã nạp dữ liệu mẫu." if created else "Dữ liệu mẫu đã có sẵn.")


@click.command("import-bpmn")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", default=None, help="Mã quy trình (mặc định: id của process).")
def import_bpmn(path: Path, key: str | None) -> None:
    """Validate and publish a .bpmn file."""
    xml = path.read_bytes()
    issues = process_models.validate(xml)
    if issues:
        for issue in issues:
            click.echo(f"{issue['element_id'] or '-'}: {issue['message']}", err=True)
        sys.exit(1)
    with unit_of_work() as uow:
        version = process_models.publish(uow, None, RequestContext(request_id="cli"), xml,
                                         key=key)
        uow.commit()
        click.echo(f"{version.model.key} v{version.version} sha256={version.sha256}")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Walk the hash chain and check every signed checkpoint; report the first bad event."""
    tdkt = services()
    with unit_of_work(write=False) as uow:
        report = checkpoints.verify(uow.session, tdkt.audit_signer.public_key, tdkt.store)
    if report.ok:
        click.echo(f"Nhật ký toàn vẹn: {report.events} sự kiện, {report.checkpoints} điểm kiểm "
                   f"đã ký, đầu chuỗi {report.head}.")
        return
    click.echo(f"Nhật ký bị thay đổi tại sự kiện #{report.first_bad_id}: {report.reason}.",
               err=True)
    sys.exit(2)


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the chain's head now (the worker does it every few minutes when events came)."""
    written = _checkpoint(force=True)
    click.echo(f"Đã ký điểm kiểm tại sự kiện #{written.event_id}." if written
               else "Nhật ký chưa có sự kiện nào.")


def _checkpoint(*, force: bool = False):
    tdkt = services()
    with unit_of_work() as uow:
        if not force and not checkpoints.due(uow.session):
            return None
        written = checkpoints.write(uow.session, tdkt.audit_signer, tdkt.store,
                                    reason="periodic")
        uow.commit()
        return written


@audit_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(audit_export.FORMATS), default="jsonl",
              show_default=True)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Tệp ghi ra.")
@click.option("--from", "start", metavar="YYYY-MM-DD", help="Từ ngày (UTC).")
@click.option("--to", "end", metavar="YYYY-MM-DD", help="Đến hết ngày (UTC).")
@click.option("--campaign", metavar="ID", help="Chỉ các hồ sơ của đợt thi đua này.")
def audit_export_file(fmt: str, out: Path, start: str | None, end: str | None,
                      campaign: str | None) -> None:
    """Export the trail, with its signed trailer, to a file that tdkt-verify checks offline."""
    try:
        params = audit_export.ExportFilter.parse(
            {"from": start or "", "to": end or "", "campaign": campaign or ""})
    except InvalidInput as exc:
        raise click.UsageError(exc.message) from None
    tdkt = services()
    with unit_of_work() as uow:
        audit_export.record_export(uow, None, RequestContext(request_id="cli"), fmt, params)
        uow.commit()
    total = audit_export.count(tdkt.engine, params)
    try:
        with out.open("wb") as fh, click.progressbar(length=total,
                                                     label="Đang xuất nhật ký") as bar:
            events = audit_export.write_to(
                tdkt.engine, fmt, params, tdkt.audit_signer, tdkt.store, fh,
                progress=lambda done: bar.update(done - bar.pos), total=total)
    except InvalidInput as exc:
        out.unlink(missing_ok=True)
        raise click.ClickException(exc.message) from None
    signer = tdkt.audit_signer
    click.echo(f"Đã xuất {events} sự kiện vào {out}, ký bằng khóa có dấu vân tay "
               f"{signer.fingerprint}.")
    click.echo(f"Kiểm tra: tdkt-verify {out} --public-key {signer.public_key}")


@audit_cli.command("public-key")
def audit_public_key() -> None:
    """Print the public half of the audit key, for inspectors to pin."""
    signer = services().audit_signer
    click.echo(signer.public_key)
    click.echo(f"Dấu vân tay: {signer.fingerprint}")


def _sweep(grace_hours: int) -> list[str]:
    with unit_of_work(write=False) as uow:
        return papers.sweep(uow.session, services().store,
                            datetime.now(UTC) - timedelta(hours=grace_hours))


@click.command("sweep")
@with_appcontext
@click.option("--grace-hours", default=24, show_default=True)
def sweep(grace_hours: int) -> None:
    """Remove stored objects that no document version refers to (after a grace period)."""
    click.echo(f"Đã xóa {len(_sweep(grace_hours))} đối tượng mồ côi.")


@click.command("worker")
@with_appcontext
@click.option("--interval", default=3600, show_default=True,
              help="Giây giữa hai lượt bảo trì (dọn đối tượng mồ côi, kiểm nhật ký).")
@click.option("--poll", default=5, show_default=True, help="Giây giữa hai lần tìm việc nền.")
@click.option("--checkpoint-every", default=300, show_default=True,
              help="Giây giữa hai lần ký điểm kiểm nhật ký (khi có sự kiện mới).")
@click.option("--once", is_flag=True, help="Chạy hết việc nền đang chờ và một lượt bảo trì.")
def worker(interval: int, poll: int, checkpoint_every: int, once: bool) -> None:
    """Background work: queued jobs (generated papers) as they come, a signed checkpoint of
    the audit chain every few minutes, and periodically the orphan sweep and the audit-chain
    verification."""
    runtime = services().runtime
    name = queue.worker_name()
    next_maintenance = next_checkpoint = 0.0
    while True:
        done = queue.run_ready(runtime, worker=name)
        if done:
            click.echo(f"Đã chạy xong {done} việc nền.")
        if time.monotonic() >= next_checkpoint:
            _checkpoint()
            next_checkpoint = time.monotonic() + checkpoint_every
        if time.monotonic() >= next_maintenance:
            _maintenance()
            next_maintenance = time.monotonic() + interval
        if once:
            return
        time.sleep(poll)


def _maintenance() -> None:
    removed = _sweep(24)
    tdkt = services()
    with unit_of_work(write=False) as uow:
        report = checkpoints.verify(uow.session, tdkt.audit_signer.public_key, tdkt.store)
    log.info("maintenance", extra={"orphans_removed": len(removed), "audit_ok": report.ok,
                                   "audit_first_bad": report.first_bad_id})
    state = "toàn vẹn" if report.ok else f"bị thay đổi tại #{report.first_bad_id}"
    click.echo(f"Đã xóa {len(removed)} đối tượng mồ côi; nhật ký {state}.")


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(import_bpmn)
    app.cli.add_command(sweep)
    app.cli.add_command(worker)


def main() -> None:
    """Entry point of the ``tdkt`` console script: the same commands as ``flask``."""
    from flask.cli import FlaskGroup

    from service.app import create_app

    FlaskGroup(create_app=create_app)()
