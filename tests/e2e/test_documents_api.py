"""Documents through the API: hostile uploads refused, versions kept, corruption detected."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from service.db.models import DocumentVersion
from service.db.session import UnitOfWork
from tests.support.api import login, open_dossier
from tests.support.files import docx_bytes, pdf_bytes


def _macro_docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_bytes())) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0macro")
    return buf.getvalue()


@pytest.mark.parametrize(("name", "data", "status"), [
    ("báo cáo.docx", b"<html><script>alert(1)</script></html>", 415),
    ("báo cáo.docx", pdf_bytes(), 415),
    ("báo cáo.docm", _macro_docx(), 415),
    ("báo cáo.docx", _macro_docx(), 415),
    ("tệp.exe", b"MZ\x90\x00", 415),
])
def test_hostile_uploads_are_refused_and_nothing_is_kept(client, name, data, status):
    donvi = login(client, "donvi1")
    did = open_dossier(donvi)["id"]
    response = donvi.upload(did, name, data)
    assert response.status_code == status
    assert set(response.get_json()["error"]) == {"code", "message"}
    assert donvi.get(f"/dossiers/{did}").get_json()["documents"] == []


def test_oversized_upload_is_413(app):
    # Small sizes keep the test client's request body in memory.
    app.config["MAX_CONTENT_LENGTH"] = 100 * 1024
    client = app.test_client()
    donvi = login(client, "donvi1")
    did = open_dossier(donvi)["id"]
    response = donvi.upload(did, "lớn.pdf", b"%PDF-1.4\n" + b"0" * (200 * 1024))
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_vietnamese_names_are_kept_and_keys_are_made_by_the_server(client):
    donvi = login(client, "donvi1")
    did = open_dossier(donvi)["id"]
    data = docx_bytes()
    uploaded = donvi.upload(did, "../../Báo cáo thành tích năm 2023.docx", data).get_json()
    assert uploaded["display_name"] == "Báo cáo thành tích năm 2023.docx"
    with UnitOfWork(client.application.extensions["tdkt"].engine, write=False) as uow:
        row = uow.session.query(DocumentVersion).one()
        assert row.object_key.startswith(f"dossiers/{did:06d}/")
        assert ".." not in row.object_key and "Báo" not in row.object_key
        assert row.sha256 == hashlib.sha256(data).hexdigest()


def test_corrupted_object_is_not_served(app, tmp_path):
    client = app.test_client()
    donvi = login(client, "donvi1")
    did = open_dossier(donvi)["id"]
    uploaded = donvi.upload(did, "Báo cáo.docx", docx_bytes()).get_json()
    with UnitOfWork(app.extensions["tdkt"].engine, write=False) as uow:
        key = uow.session.query(DocumentVersion).one().object_key
    stored = Path(app.config["STORAGE_FILE_ROOT"]).joinpath(*key.split("/"))
    stored.write_bytes(stored.read_bytes()[:-10] + b"0123456789")
    response = donvi.get(f"/dossiers/{did}/documents/{uploaded['id']}")
    assert response.status_code == 502
    assert response.get_json()["error"]["code"] == "integrity_error"


def test_pdf_upload_and_verified_download(client):
    donvi = login(client, "donvi1")
    did = open_dossier(donvi)["id"]
    data = pdf_bytes()
    uploaded = donvi.upload(did, "Biên bản họp.pdf", data, kind="unit_minutes").get_json()
    response = donvi.get(f"/dossiers/{did}/documents/{uploaded['id']}")
    assert response.status_code == 200 and response.data == data
    assert response.headers["X-Content-SHA256"] == hashlib.sha256(data).hexdigest()
