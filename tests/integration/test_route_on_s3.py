"""The route with every document in a real S3 server, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import urllib.error
import urllib.request
import uuid

import pytest
from minio import Minio

from service.app import create_app
from service.config import TestConfig
from service.db.models import DocumentVersion
from service.db.session import UnitOfWork
from tests.support.api import login, open_dossier
from tests.support.files import docx_bytes

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def s3_app(tmp_path, db_url, s3_server):
    config = TestConfig(tmp_path / "var", database_url=db_url)
    config.STORAGE_BACKEND = "s3"
    config.S3_ENDPOINT = s3_server.endpoint
    config.S3_ACCESS_KEY = s3_server.access_key
    config.S3_SECRET_KEY = s3_server.secret_key
    config.S3_BUCKET = f"tdkt-{uuid.uuid4().hex[:10]}"
    app = create_app(config)
    app.config.update(WTF_CSRF_ENABLED=False)
    yield app
    app.extensions["tdkt"].engine.dispose()


def test_documents_live_in_s3_and_are_verified(s3_app, s3_server):
    client = s3_app.test_client()
    donvi, head, cum = login(client, "donvi1"), login(client, "thutruong1"), login(client, "cum1")
    did = open_dossier(donvi)["id"]
    data = docx_bytes("Báo cáo lưu trên S3")
    uploaded = donvi.upload(did, "Báo cáo thành tích.docx", data).get_json()
    donvi.decide(did, "approve")
    head.decide(did, "approve")
    response = cum.get(f"/dossiers/{did}/documents/{uploaded['id']}")
    assert response.status_code == 200 and response.data == data

    config = s3_app.config["TDKT_CONFIG"]
    raw = Minio(s3_server.endpoint, access_key=s3_server.access_key,
                secret_key=s3_server.secret_key, secure=False)
    with UnitOfWork(s3_app.extensions["tdkt"].engine, write=False) as uow:
        key = uow.session.query(DocumentVersion).one().object_key
    stat = raw.stat_object(config.S3_BUCKET, key)
    assert stat.metadata["x-amz-meta-sha256"] == hashlib.sha256(data).hexdigest()

    # DOC-9: the bucket is private.
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(f"http://{s3_server.endpoint}/{config.S3_BUCKET}/{key}",
                               timeout=10)
    assert denied.value.code == 403
    denied.value.close()  # the error holds the open response; left to gc, its socket warns

    # REL-6: bytes changed behind the service's back are refused on download.
    tampered = data[:-4] + b"XXXX"
    raw.remove_object(config.S3_BUCKET, key)
    raw.put_object(config.S3_BUCKET, key, io.BytesIO(tampered), len(tampered),
                   metadata={"sha256": hashlib.sha256(data).hexdigest()})
    refused = cum.get(f"/dossiers/{did}/documents/{uploaded['id']}")
    assert refused.status_code == 502
    assert refused.get_json()["error"]["code"] == "integrity_error"
