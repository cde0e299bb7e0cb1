"""A cluster's scoring table, its units' own and cross-checked points, the ranking by checked
totals (penalty lines subtracted) and the ballot electing the leading unit: more than half
of the valid ballots, the most votes; a tie at the last seat elects none and asks a re-vote."""

from __future__ import annotations

import json

from sqlalchemy import select

from service.db.models import AuditEvent, ClusterMembership, Organisation
from tests.support.api import campaign_id, login


def _ids(app) -> dict[str, int]:
    with app.extensions["tdkt"].engine.connect() as conn:
        return {code: oid for code, oid in conn.execute(select(Organisation.code, Organisation.id)
                                                        .where(Organisation.code.in_(
                                                            ["CUM01", "CUM02", "DV001", "DV002",
                                                             "DV003", "DV006"])))}


def _members(app, cluster: int) -> dict[int, bool]:
    with app.extensions["tdkt"].engine.connect() as conn:
        return {m.unit_id: m.is_leading_unit for m in conn.execute(
            select(ClusterMembership).where(ClusterMembership.cluster_id == cluster,
                                            ClusterMembership.year == 2023))}


def _put(user, path, body):
    return user.client.put(f"/api/v1{path}", json=body, headers=user.headers)


TABLE = {"criteria": [
    {"title": "Thực hiện nhiệm vụ chính trị được giao", "max_points": 60},
    {"title": "Công tác thi đua, khen thưởng", "max_points": "40"},
    {"title": "Điểm thưởng: sáng kiến được công nhận cấp tỉnh", "max_points": 5, "kind": "bonus"},
    {"title": "Điểm trừ: báo cáo chậm hạn", "max_points": 10, "kind": "penalty"},
]}


def _scores(criteria, values):
    return [{"criterion_id": c["id"], "points": v} for c, v in zip(criteria, values, strict=True)
            if v is not None]


def test_scoring_ranking_and_ballot_of_a_cluster(app):
    client = app.test_client()
    ids = _ids(app)
    cluster, dv1, dv2, dv3 = ids["CUM01"], ids["DV001"], ids["DV002"], ids["DV003"]
    leader = login(client, "cum1")
    cid = campaign_id(leader)
    base = f"/clusters/{cluster}/campaigns/{cid}"

    bad = _put(leader, f"{base}/table", {"criteria": [{"title": "X", "max_points": 0}]})
    assert bad.status_code == 422
    table = _put(leader, f"{base}/table", TABLE)
    assert table.status_code == 200, table.get_json()
    criteria = table.get_json()["items"]
    assert [c["kind"] for c in criteria] == ["criterion", "criterion", "bonus", "penalty"]
    assert criteria[1]["max_points"] == "40"
    replaced = _put(leader, f"{base}/table", TABLE)  # no score yet: the table may be replaced
    assert replaced.status_code == 200
    criteria = replaced.get_json()["items"]

    donvi1, donvi2 = login(client, "donvi1"), login(client, "donvi2")
    over = donvi1.post(f"{base}/self-scores", json={"scores": _scores(
        criteria, [61, None, None, None])})
    assert over.status_code == 422 and over.get_json()["error"]["code"] == "points_out_of_range"
    assert "từ 0 đến 60" in over.get_json()["error"]["message"]
    negative = donvi1.post(f"{base}/self-scores", json={"scores": _scores(
        criteria, [-1, None, None, None])})
    assert negative.status_code == 422
    own1 = donvi1.post(f"{base}/self-scores", json={"scores": _scores(
        criteria, [58, 38, 5, 0])})
    assert own1.status_code == 200, own1.get_json()
    own2 = donvi2.post(f"{base}/self-scores", json={"scores": _scores(
        criteria, [55, "36.5", 0, 2])})
    assert own2.status_code == 200, own2.get_json()
    assert _put(leader, f"{base}/table", TABLE).status_code == 409  # scored: table is fixed

    # The leader's cross-check: unit 1 lower than its own (54 + 36 + 5 − 3 = 92),
    # unit 2 as it said (55 + 36.5 + 0 − 2 = 89.5).
    checked = leader.post(f"{base}/checked-scores", json={"unit_id": dv1, "scores": [
        *_scores(criteria, [54, 36, 5, 3])[:3],
        {"criterion_id": criteria[3]["id"], "points": 3, "note": "Nộp báo cáo quý III chậm"}]})
    assert checked.status_code == 200, checked.get_json()
    leader.post(f"{base}/checked-scores", json={"unit_id": dv2, "scores": _scores(
        criteria, [55, "36.5", 0, 2])})
    ranking = donvi2.get(f"{base}/ranking")
    assert ranking.status_code == 200
    units = ranking.get_json()["units"]
    assert [(u["unit_id"], u["rank"], u["self_total"], u["checked_total"]) for u in units[:2]] \
        == [(dv1, 1, "101", "92"), (dv2, 2, "89.5", "89.5")]
    assert units[2]["status"] == "chưa chấm" and units[2]["rank"] is None
    assert len(units) == 5 and ranking.get_json()["max_total"] == "100"
    for username in ("bantdkt", "kiemtoan", "quantri"):
        assert login(client, username).get(f"{base}/ranking").status_code == 200, username
    for username in ("cum2", "donvi6", "chutich"):
        assert login(client, username).get(f"{base}/ranking").status_code == 403, username

    # The ballot: 5 issued, 5 returned, 4 valid; unit 1 has 3/4 > half, unit 2 only 2/4.
    opened = leader.post(f"{base}/ballot", json={"seats": 1, "ballots_issued": 5})
    assert opened.status_code == 201, opened.get_json()
    assert leader.post(f"{base}/ballot", json={"seats": 1, "ballots_issued": 5}
                       ).status_code == 409
    tally = {"ballots_returned": 5, "ballots_valid": 4,
             "counts": [{"unit_id": dv1, "votes_for": 3}, {"unit_id": dv2, "votes_for": 2}]}
    too_many = leader.post(f"{base}/ballot/record", json={**tally, "ballots_valid": 6})
    assert too_many.status_code == 422
    over_valid = leader.post(f"{base}/ballot/record", json={**tally, "counts": [
        {"unit_id": dv1, "votes_for": 5}]})
    assert over_valid.status_code == 422 and "(4)" in over_valid.get_json()["error"]["message"]
    outsider = leader.post(f"{base}/ballot/record", json={**tally, "counts": [
        {"unit_id": ids["DV006"], "votes_for": 1}]})
    assert outsider.status_code == 422 and outsider.get_json()["error"]["code"] == "not_a_member"
    assert leader.post(f"{base}/ballot/record", json=tally).status_code == 200
    closed = leader.post(f"{base}/ballot/close", json={})
    assert closed.status_code == 200, closed.get_json()
    body = closed.get_json()
    assert [e["unit_id"] for e in body["elected"]] == [dv1] and body["result_note"] is None
    leading = _members(app, cluster)
    assert leading[dv1] is True and not any(v for k, v in leading.items() if k != dv1)
    assert leader.post(f"{base}/ballot/close", json={}).status_code == 409

    # A second ballot with a tie at the only seat elects nobody and says why.
    leader.post(f"{base}/ballot", json={"seats": 1, "ballots_issued": 6})
    leader.post(f"{base}/ballot/record", json={"ballots_returned": 6, "ballots_valid": 6,
                                               "counts": [{"unit_id": dv1, "votes_for": 4},
                                                          {"unit_id": dv3, "votes_for": 4}]})
    tie = leader.post(f"{base}/ballot/close", json={}).get_json()
    assert tie["elected"] == []
    assert "cần bỏ phiếu lại" in tie["result_note"] and "4/6" in tie["result_note"]
    assert not any(_members(app, cluster).values())
    assert login(client, "donvi3").get(f"{base}/ballot").get_json()["id"] == tie["id"]

    with app.extensions["tdkt"].engine.connect() as conn:
        events = [(e.action, json.loads(e.details)) for e in conn.execute(
            select(AuditEvent).where(AuditEvent.action.like("cluster.%"))
            .order_by(AuditEvent.id))]
    actions = [a for a, _ in events]
    for action in ("cluster.table_set", "cluster.self_scored", "cluster.scores_checked",
                   "cluster.ballot_opened", "cluster.ballot_recorded", "cluster.ballot_closed"):
        assert action in actions, action
    first_close = next(d for a, d in events if a == "cluster.ballot_closed")
    assert [e["unit_id"] for e in first_close["elected"]] == [dv1]
    check = next(d for a, d in events if a == "cluster.scores_checked")
    assert check["scores"][0]["self_points"] == "58" and check["scores"][0]["points"] == "54"


def test_only_the_cluster_and_its_members_act_on_its_scoring(app):
    client = app.test_client()
    ids = _ids(app)
    leader = login(client, "cum1")
    cid = campaign_id(leader)
    base = f"/clusters/{ids['CUM01']}/campaigns/{cid}"
    assert _put(login(client, "cum2"), f"{base}/table", TABLE).status_code == 403
    assert _put(login(client, "donvi1"), f"{base}/table", TABLE).status_code == 403
    assert _put(login(client, "kiemtoan"), f"{base}/table", TABLE).status_code == 403
    assert _put(login(client, "quantri"), f"{base}/table", TABLE).status_code == 200
    criteria = leader.get(f"{base}/table").get_json()["items"]
    scores = {"scores": [{"criterion_id": criteria[0]["id"], "points": 10}]}
    assert login(client, "donvi6").post(f"{base}/self-scores", json=scores).status_code == 403
    assert login(client, "cum1").post(f"{base}/self-scores", json=scores).status_code == 403
    assert login(client, "thutruong1").post(f"{base}/self-scores", json=scores
                                            ).status_code == 200
    cross = {"unit_id": ids["DV001"], **scores}
    assert login(client, "cum2").post(f"{base}/checked-scores", json=cross).status_code == 403
    assert login(client, "donvi1").post(f"{base}/checked-scores", json=cross).status_code == 403
    outsider = leader.post(f"{base}/checked-scores", json={**cross, "unit_id": ids["DV006"]})
    assert outsider.status_code == 422 and outsider.get_json()["error"]["code"] == "not_a_member"
    other = leader.post(f"/clusters/{ids['CUM02']}/campaigns/{cid}/ballot",
                        json={"seats": 1, "ballots_issued": 5})
    assert other.status_code == 403
    assert login(client, "kiemtoan").post(f"{base}/ballot", json={
        "seats": 1, "ballots_issued": 5}).status_code == 403
    assert leader.post(f"{base}/ballot", json={"seats": 9, "ballots_issued": 5}
                       ).status_code == 422
    assert leader.post(f"{base}/ballot/record", json={"ballots_returned": 1,
                                                      "ballots_valid": 1, "counts": []}
                       ).status_code == 409
    assert leader.get(f"/clusters/{ids['DV001']}/campaigns/{cid}/ranking").status_code == 404
