"""WEB-1..5 and WEB-10: sessions, CSRF, headers, password hashing, rate limits, clean errors."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from service.db.models import User
from service.db.session import UnitOfWork
from service.logs import JsonFormatter
from tests.support import DEMO_PASSWORD
from tests.support.api import login, open_dossier
from tests.support.files import docx_bytes


def page_login(client, username: str, password: str = DEMO_PASSWORD):
    return client.post("/login", data={"username": username, "password": password})


def test_session_cookie_is_rotated_and_hardened(client):
    client.get("/login?lang=vi")
    before = client.get_cookie("session")
    response = page_login(client, "donvi1")
    assert response.status_code == 302
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    after = client.get_cookie("session")
    assert before is None or before.value != after.value
    assert client.get("/").status_code == 200


def test_login_failure_is_generic_and_audited(client):
    wrong = page_login(client, "donvi1", "sai-mat-khau")
    unknown = page_login(client, "khongtontai", "sai-mat-khau")
    assert wrong.status_code == unknown.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in wrong.get_data(as_text=True)
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in unknown.get_data(as_text=True)


def test_passwords_are_argon2id(app):
    with UnitOfWork(app.extensions["tdkt"].engine) as uow:
        hashes = list(uow.session.scalars(select(User.password_hash)))
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


def test_sixth_attempt_in_a_minute_is_throttled(client):
    codes = [page_login(client, "cum1", f"sai-{n}").status_code for n in range(6)]
    assert codes == [401] * 5 + [429]
    # Even the right password waits out the window.
    assert page_login(client, "cum1").status_code == 429
    api = client.post("/api/v1/auth/token", json={"username": "cum1", "password": DEMO_PASSWORD})
    assert api.status_code == 429
    assert api.get_json()["error"]["code"] == "too_many_requests"


def test_every_form_post_route_requires_csrf(csrf_app):
    client = csrf_app.test_client()
    page_login_response = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page_login_response.get_data(
        as_text=True)).group(1)
    assert client.post("/login", data={"username": "donvi1", "password": DEMO_PASSWORD,
                                       "csrf_token": token}).status_code == 302
    posts = [r for r in csrf_app.url_map.iter_rules()
             if "POST" in r.methods and not r.rule.startswith("/api/")]
    assert len(posts) >= 8
    for rule in posts:
        url = re.sub(r"<(?:int:)?(\w+)>", "1", rule.rule)
        response = client.post(url, data={"x": "1"})
        assert response.status_code == 400, rule.rule
        assert "biểu mẫu không hợp lệ" in response.get_data(as_text=True), rule.rule


def test_no_state_change_on_get(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods:
            assert not any(word in rule.endpoint for word in
                           ("claim", "complete", "delete", "logout", "upload")) or \
                rule.endpoint.endswith(("download", "download_document")), rule.endpoint


@pytest.mark.parametrize("path", ["/login", "/nope", "/api/v1/nope", "/api/v1/me",
                                  "/static/app.css", "/api/v1/openapi.json"])
def test_security_headers_everywhere(client, path):
    response = client.get(path)
    response.close()
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_download_headers(client):
    donvi = login(client, "donvi1")
    did = open_dossier(donvi)["id"]
    doc = donvi.upload(did, "Báo cáo thành tích.docx", docx_bytes()).get_json()
    response = donvi.get(f"/dossiers/{did}/documents/{doc['id']}")
    assert response.status_code == 200
    assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_api_errors_are_json_without_internals(client):
    assert client.get("/api/v1/me").get_json() == {
        "error": {"code": "unauthenticated",
                  "message": "Thiếu mã truy cập (Authorization: Bearer ...)."}}
    donvi = login(client, "donvi1")
    bad = donvi.post("/dossiers", data="{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 422
    assert bad.get_json()["error"]["code"] == "invalid_json"
    unknown_award = donvi.post("/dossiers", json={
        "campaign_id": 1, "title": "x",
        "proposals": [{"subject_type": "individual", "name": "A", "award_code": "HUAN_CHUONG"}]})
    assert unknown_award.status_code == 422
    assert "HUAN_CHUONG" in unknown_award.get_json()["error"]["message"]
    missing = donvi.get("/dossiers/999999")
    assert missing.status_code == 404
    for response in (bad, unknown_award, missing):
        text = response.get_data(as_text=True)
        assert "Traceback" not in text and "sqlalchemy" not in text.lower()


def test_unexpected_errors_become_a_short_page(app, monkeypatch, caplog):
    from service.usecases import tasks

    def boom(*args, **kwargs):
        raise RuntimeError("internal detail that must not leak")

    monkeypatch.setattr(tasks, "inbox", boom)
    client = app.test_client()
    page_login(client, "donvi1")
    response = client.get("/")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Đã có lỗi hệ thống" in body and "internal detail" not in body
    record = next(r for r in caplog.records if r.getMessage() == "unhandled error")
    logged = json.loads(JsonFormatter().format(record))
    assert logged["level"] == "ERROR" and logged["path"] == "/"
    assert logged["request_id"] == response.headers["X-Request-Id"]
    assert "internal detail that must not leak" in logged["exception"]


def test_idle_session_expires(app, monkeypatch):
    client = app.test_client()
    page_login(client, "donvi1")
    with client.session_transaction() as session:
        session["seen"] = session["seen"] - 31 * 60
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_open_redirects_are_refused(client):
    response = client.post("/login", data={"username": "donvi1", "password": DEMO_PASSWORD,
                                           "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
