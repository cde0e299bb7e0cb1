"""Council sessions (NĐ 98/2023 Điều 30 k7): quorum ≥ 2/3 and ≥ 80% present; a line's share
is its votes for over the Council's TOTAL membership, against its award's threshold (Cờ thi
đua 80%, CSTĐ tỉnh 90%); a line short of it ends not approved with the numbers as reason."""

from __future__ import annotations

import json

from sqlalchemy import select

from service.db.models import AuditEvent
from tests.support.api import campaign_id, login, open_dossier

FLAG = "Phòng Văn hóa và Thông tin"
FIGHTER = "Nguyễn Thị Hồng Nhung"
LINES = [
    {"subject_type": "collective", "name": FLAG, "award_code": "CO_TD_TINH",
     "summary": "Dẫn đầu Cụm thi đua năm 2023"},
    {"subject_type": "individual", "name": FIGHTER, "award_code": "CSTD_TINH",
     "summary": "Ba năm liền Chiến sĩ thi đua cơ sở, sáng kiến cấp tỉnh"},
]


def _to_board(client, proposals):
    donvi, head, cum = login(client, "donvi1"), login(client, "thutruong1"), login(client, "cum1")
    dossier = open_dossier(donvi, proposals=proposals)
    did = dossier["id"]
    donvi.decide(did, "approve")
    head.decide(did, "approve")
    cum.decide(did, "approve")
    return did, {p["name"]: p["id"] for p in dossier["proposals"]}


def _session(user, cid, present=17, total=20, absent=3):
    return user.post("/council/sessions", json={
        "campaign_id": cid, "held_on": "2023-12-20", "members_total": total,
        "present": present, "absent_with_opinion": absent,
        "minutes_note": "Phiên họp xét Cờ thi đua và CSTĐ tỉnh năm 2023"})


def test_the_council_ballot_decides_the_lines_that_need_it(app):
    client = app.test_client()
    did, lines = _to_board(client, LINES)
    other, other_lines = _to_board(client, [
        {"subject_type": "collective", "name": "Trường THCS Nguyễn Du",
         "award_code": "BK_CT_UBND"}])
    secretary = login(client, "thuky_hd")
    cid = campaign_id(secretary)

    low = _session(secretary, cid, present=13, absent=0)
    assert low.status_code == 422 and low.get_json()["error"]["code"] == "no_quorum"
    assert "13/20" in low.get_json()["error"]["message"]
    short = _session(secretary, cid, present=15, absent=5)
    assert short.status_code == 422 and "80%" in short.get_json()["error"]["message"]
    assert "15/20" in short.get_json()["error"]["message"]
    too_many = _session(secretary, cid, present=17, absent=4)
    assert too_many.status_code == 422

    opened = _session(secretary, cid)
    assert opened.status_code == 201, opened.get_json()
    sid = opened.get_json()["id"]
    assert opened.get_json()["state"] == "open"

    over = secretary.post(f"/council/sessions/{sid}/votes", json={"votes": [
        {"proposal_id": lines[FLAG], "votes_for": 18}]})
    assert over.status_code == 422 and "(17)" in over.get_json()["error"]["message"]
    no_ballot = secretary.post(f"/council/sessions/{sid}/votes", json={"votes": [
        {"proposal_id": other_lines["Trường THCS Nguyễn Du"], "votes_for": 17}]})
    assert no_ballot.status_code == 422 and no_ballot.get_json()["error"]["code"] == "no_ballot"

    recorded = secretary.post(f"/council/sessions/{sid}/votes", json={"votes": [
        {"proposal_id": lines[FLAG], "votes_for": 15},
        {"proposal_id": lines[FIGHTER], "votes_for": 17}]})
    assert recorded.status_code == 200, recorded.get_json()
    corrected = secretary.post(f"/council/sessions/{sid}/votes", json={"votes": [
        {"proposal_id": lines[FLAG], "votes_for": 16}]})
    assert corrected.status_code == 200
    assert len(corrected.get_json()["votes"]) == 2

    closed = secretary.post(f"/council/sessions/{sid}/close", json={})
    assert closed.status_code == 200, closed.get_json()
    votes = {v["name"]: v for v in closed.get_json()["votes"]}
    assert votes[FLAG]["share"] == "0.8000" and votes[FLAG]["threshold"] == "0.80"
    assert votes[FLAG]["passed"] is True and votes[FLAG]["outcome"] == "pending"
    assert votes[FIGHTER]["share"] == "0.8500" and votes[FIGHTER]["threshold"] == "0.90"
    assert votes[FIGHTER]["passed"] is False
    assert votes[FIGHTER]["outcome"] == "not_approved"
    reason = "Không đạt tỷ lệ phiếu của Hội đồng: 17/20 = 85,00% < 90%"
    assert votes[FIGHTER]["outcome_reason"] == reason
    again = secretary.post(f"/council/sessions/{sid}/votes", json={"votes": [
        {"proposal_id": lines[FLAG], "votes_for": 17}]})
    assert again.status_code == 409
    assert secretary.post(f"/council/sessions/{sid}/close", json={}).status_code == 409
    shown = login(client, "bantdkt").get(f"/council/sessions/{sid}")
    assert shown.status_code == 200 and shown.get_json()["state"] == "closed"

    login(client, "bantdkt").decide(did, "approve",
                                    fields={"appraisal_summary": "Hồ sơ đủ điều kiện."})
    login(client, "chutich").decide(did, "approve")
    body = login(client, "donvi1").get(f"/dossiers/{did}").get_json()
    outcomes = {p["name"]: (p["outcome"], p["outcome_reason"]) for p in body["proposals"]}
    assert outcomes[FLAG] == ("approved", None)
    assert outcomes[FIGHTER] == ("not_approved", reason)
    assert body["status"] == "partly_approved"

    with app.extensions["tdkt"].engine.connect() as conn:
        events = {e.action: json.loads(e.details) for e in conn.execute(
            select(AuditEvent).where(AuditEvent.action.like("council.%")))}
    assert events["council.session_opened"]["after"]["present"] == 17
    assert events["council.votes_recorded"]["votes"][0]["before"] == 15
    results = {r["name"]: r for r in events["council.session_closed"]["results"]}
    assert results[FIGHTER]["before"]["outcome"] == "pending"
    assert results[FIGHTER]["after"] == {"outcome": "not_approved", "outcome_reason": reason}
    assert results[FLAG]["passed"] is True
    assert other  # the other dossier's line was never balloted


def test_a_flag_short_of_eighty_percent_fails_with_the_numbers(app):
    client = app.test_client()
    _did, lines = _to_board(client, LINES[:1])
    secretary = login(client, "thuky_hd")
    sid = _session(secretary, campaign_id(secretary)).get_json()["id"]
    secretary.post(f"/council/sessions/{sid}/votes", json={"votes": [
        {"proposal_id": lines[FLAG], "votes_for": 15}]})
    closed = secretary.post(f"/council/sessions/{sid}/close", json={}).get_json()
    assert closed["votes"][0]["outcome_reason"] == (
        "Không đạt tỷ lệ phiếu của Hội đồng: 15/20 = 75,00% < 80%")


def test_only_the_council_secretary_and_administrators_record_sessions(app):
    client = app.test_client()
    cid = campaign_id(login(client, "donvi1"))
    for username in ("donvi1", "cum1", "bantdkt", "truongban", "chutich"):
        assert _session(login(client, username), cid).status_code == 403, username
    assert _session(login(client, "kiemtoan"), cid).status_code == 403
    assert _session(login(client, "quantri"), cid).status_code == 201
    sid = _session(login(client, "thuky_hd"), cid).get_json()["id"]
    for username in ("donvi1", "bantdkt", "chutich"):
        user = login(client, username)
        assert user.post(f"/council/sessions/{sid}/votes", json={"votes": []}
                         ).status_code == 403
        assert user.post(f"/council/sessions/{sid}/close", json={}).status_code == 403
    assert login(client, "donvi1").get(f"/council/sessions/{sid}").status_code == 403
