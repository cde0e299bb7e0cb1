"""Comparing two diagrams element by element (service.engine.diff)."""

from __future__ import annotations

import pytest

from service.engine.diff import Change, ElementRef, diff_models
from service.engine.xml import XmlRejected
from tests.support.models import CONSULTATION, CONSULTATION_ID, shipped, with_consultation


def test_identical_diagrams_have_no_differences() -> None:
    xml = shipped().encode()
    assert diff_models(xml, xml).added == diff_models(xml, xml).removed == ()
    assert diff_models(xml, xml).changed == ()


def test_layout_alone_is_not_a_difference() -> None:
    moved = shipped().replace('<dc:Bounds x="1010" y="590"', '<dc:Bounds x="1050" y="600"')
    assert moved != shipped()
    diff = diff_models(shipped().encode(), moved.encode())
    assert (diff.added, diff.removed, diff.changed) == ((), (), ())


def test_inserted_consultation_is_added_and_the_repointed_flow_changed() -> None:
    diff = diff_models(shipped().encode(), with_consultation().encode())
    assert diff.added == (ElementRef(CONSULTATION_ID, "userTask", CONSULTATION),
                          ElementRef("Flow_consultation_done", "sequenceFlow", None))
    assert diff.removed == ()
    [flow] = diff.changed
    assert (flow.id, flow.type, flow.name) == ("Flow_cluster_review_approve", "sequenceFlow",
                                               "Đồng ý")
    assert flow.changes == (Change("target", "board_appraisal", CONSULTATION_ID),)


def test_the_reverse_removes_them() -> None:
    diff = diff_models(with_consultation().encode(), shipped().encode())
    assert {e.id for e in diff.removed} == {CONSULTATION_ID, "Flow_consultation_done"}
    assert diff.added == ()


# The papers the shipped diagram's board step generates, as the diff lists its documents.
_BOARD_PAPERS = ["generates:appraisal", "generates:board_submission", "generates:draft_decision"]


@pytest.mark.parametrize(("old", "new", "element", "field", "before", "after"), [
    ('name="Chủ tịch quyết định"', 'name="Chủ tịch UBND tỉnh quyết định"',
     "chairman_decision", "name", "Chủ tịch quyết định", "Chủ tịch UBND tỉnh quyết định"),
    ('<tdkt:decision value="reject" label="Không khen thưởng" />', "",
     "chairman_decision", "decisions",
     [["approve", "Phê duyệt khen thưởng"], ["return", "Trả lại Ban TĐKT"],
      ["reject", "Không khen thưởng"]],
     [["approve", "Phê duyệt khen thưởng"], ["return", "Trả lại Ban TĐKT"]]),
    ("decision == 'reject'</bpmn:conditionExpression>",
     "decision == 'reject' and True</bpmn:conditionExpression>",
     "Flow_cluster_review_reject", "condition", "decision == 'reject'",
     "decision == 'reject' and True"),
    ('<tdkt:step role="unit_officer">', '<tdkt:step role="unit_head">',
     "unit_prepare", "role", "unit_officer", "unit_head"),
    ('<tdkt:end outcome="approved" />', '<tdkt:end outcome="rejected" />',
     "end_approved", "outcome", "approved", "rejected"),
    ('<tdkt:step dueWorkingDays="20">',
     '<tdkt:step dueWorkingDays="20"><tdkt:document kind="report" use="requires" />',
     "board_appraisal", "documents", _BOARD_PAPERS, ["requires:report", *_BOARD_PAPERS]),
    ('<bpmn:exclusiveGateway id="Gateway_unit_submit" name="Thủ trưởng quyết định">',
     '<bpmn:exclusiveGateway id="Gateway_unit_submit" name="Thủ trưởng quyết định" '
     'default="Flow_unit_submit_return">',
     "Gateway_unit_submit", "default", None, "Flow_unit_submit_return"),
])
def test_changed_fields_are_listed(old, new, element, field, before, after) -> None:
    text = shipped()
    assert old in text
    diff = diff_models(text.encode(), text.replace(old, new, 1).encode())
    changes = {(e.id, c.field): (c.before, c.after) for e in diff.changed for c in e.changes}
    assert changes[(element, field)] == (before, after)


def test_moving_a_task_to_another_lane_changes_its_lane_and_role() -> None:
    text = shipped()
    moved = (text.replace("<bpmn:flowNodeRef>unit_submit</bpmn:flowNodeRef>", "", 1)
             .replace("<bpmn:flowNodeRef>cluster_review</bpmn:flowNodeRef>",
                      "<bpmn:flowNodeRef>cluster_review</bpmn:flowNodeRef>"
                      "<bpmn:flowNodeRef>unit_submit</bpmn:flowNodeRef>", 1))
    diff = diff_models(text.encode(), moved.encode())
    changes = {(e.id, c.field): (c.before, c.after) for e in diff.changed for c in e.changes}
    assert changes[("unit_submit", "lane")] == ("Đơn vị", "Cụm/Khối thi đua")
    assert changes[("unit_submit", "role")] == ("unit_head", "cluster_leader")
    assert changes[("unit_submit", "scope")] == ("unit", "cluster")


def test_unsafe_xml_is_refused_not_read() -> None:
    hostile = ('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
               '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">'
               "&e;</bpmn:definitions>")
    with pytest.raises(XmlRejected):
        diff_models(shipped().encode(), hostile.encode())


def test_a_file_without_a_process_compares_as_empty() -> None:
    empty = b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'/>"
    diff = diff_models(empty, shipped().encode())
    assert "board_appraisal" in {e.id for e in diff.added} and diff.removed == ()
