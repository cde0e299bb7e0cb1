"""A thin client of the public API for end-to-end tests."""

from __future__ import annotations

import io
from dataclasses import dataclass

from flask.testing import FlaskClient

from tests.support import DEMO_PASSWORD


@dataclass
class ApiUser:
    client: FlaskClient
    username: str
    token: str

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kw):
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kw)

    def post(self, path: str, json=None, headers=None, **kw):
        return self.client.post(f"/api/v1{path}", json=json,
                                headers={**self.headers, **(headers or {})}, **kw)

    def upload(self, dossier_id: int, name: str, data: bytes, kind: str = "report",
               document_id: int | None = None):
        form = {"file": (io.BytesIO(data), name), "kind": kind}
        if document_id is not None:
            form["document_id"] = str(document_id)
        return self.client.post(f"/api/v1/dossiers/{dossier_id}/documents", data=form,
                                headers=self.headers, content_type="multipart/form-data")

    def tasks(self) -> list[dict]:
        response = self.get("/tasks?state=open")
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    def task_for(self, dossier_id: int) -> dict:
        matches = [t for t in self.tasks() if t["dossier_id"] == dossier_id]
        assert len(matches) == 1, f"{self.username} sees {matches}"
        return matches[0]

    def decide(self, dossier_id: int, decision: str, comment: str = "", **extra):
        """Complete the caller's task on the dossier. An approval that records the cluster's
        meeting, sent without one, records every member unit present."""
        task = self.task_for(dossier_id)
        if decision == "approve" and "meeting" not in extra:
            form = self.get(f"/tasks/{task['id']}").get_json()["form"]
            if form["meeting_members"]:
                extra["meeting"] = {"present": [m["id"] for m in form["meeting_members"]]}
        response = self.post(f"/tasks/{task['id']}/complete",
                             json={"decision": decision, "comment": comment, **extra})
        assert response.status_code == 200, response.get_json()
        return response.get_json()


def login(client: FlaskClient, username: str, password: str = DEMO_PASSWORD) -> ApiUser:
    response = client.post("/api/v1/auth/token", json={"username": username,
                                                       "password": password})
    assert response.status_code == 201, response.get_json()
    return ApiUser(client, username, response.get_json()["token"])


def campaign_id(user: ApiUser) -> int:
    items = user.get("/campaigns").get_json()["items"]
    return next(c["id"] for c in items if c["code"] == "NUOC-RUT-2023")


def open_dossier(user: ApiUser, title: str = "Đề nghị khen thưởng phong trào nước rút 2023",
                 proposals: list[dict] | None = None) -> dict:
    body = {
        "campaign_id": campaign_id(user),
        "title": title,
        "proposals": proposals if proposals is not None else [
            {"subject_type": "collective", "name": "Phòng Văn hóa và Thông tin",
             "award_code": "BK_CT_UBND", "summary": "Hoàn thành xuất sắc nhiệm vụ năm 2023"},
            {"subject_type": "individual", "name": "Nguyễn Thị Hồng Nhung",
             "award_code": "BK_CT_UBND", "summary": "Có nhiều sáng kiến"},
        ],
    }
    response = user.post("/dossiers", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()
