"""Variants of the shipped commendation diagram, as an administrator would edit it."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

SHIPPED = Path(__file__).resolve().parents[2] / "workflows" / "bpmn" / "commendation.bpmn"
CONSULTATION_ID = "board_consultation"
CONSULTATION = "Hiệp y"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def shipped() -> str:
    return SHIPPED.read_text(encoding="utf-8")


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def with_consultation(text: str | None = None) -> str:
    """A "Hiệp y" step in the board's lane, between the cluster's review and the appraisal.

    The cluster's approval flow is re-pointed at it, a new flow leads on to the appraisal, and
    the new shapes are drawn (bpmn-js would refuse to show elements without DI).
    """
    text = shipped() if text is None else text
    text = _replace(text, "<bpmn:flowNodeRef>board_appraisal</bpmn:flowNodeRef>",
                    f"<bpmn:flowNodeRef>{CONSULTATION_ID}</bpmn:flowNodeRef>\n"
                    "        <bpmn:flowNodeRef>board_appraisal</bpmn:flowNodeRef>")
    text = _replace(text, '<bpmn:userTask id="board_appraisal"', f'''<bpmn:userTask id="{CONSULTATION_ID}" name="{CONSULTATION}">
      <bpmn:extensionElements>
        <tdkt:step dueWorkingDays="5">
          <tdkt:decision value="approve" label="Hiệp y xong, chuyển thẩm định" />
          <tdkt:field name="note" />
        </tdkt:step>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_cluster_review_approve</bpmn:incoming>
      <bpmn:outgoing>Flow_consultation_done</bpmn:outgoing>
    </bpmn:userTask>

    <bpmn:userTask id="board_appraisal"''')  # noqa: E501
    text = _replace(text, "<bpmn:incoming>Flow_cluster_review_approve</bpmn:incoming>\n"
                          "      <bpmn:incoming>Flow_chairman_decision_return</bpmn:incoming>",
                    "<bpmn:incoming>Flow_consultation_done</bpmn:incoming>\n"
                    "      <bpmn:incoming>Flow_chairman_decision_return</bpmn:incoming>")
    text = _replace(text, 'sourceRef="Gateway_cluster_review" targetRef="board_appraisal">',
                    f'sourceRef="Gateway_cluster_review" targetRef="{CONSULTATION_ID}">')
    text = _replace(text, '<bpmn:sequenceFlow id="Flow_board_appraisal_done"',
                    f'<bpmn:sequenceFlow id="Flow_consultation_done" sourceRef="{CONSULTATION_ID}"'
                    ' targetRef="board_appraisal" />\n'
                    '    <bpmn:sequenceFlow id="Flow_board_appraisal_done"')
    appraisal_shape = '<bpmndi:BPMNShape id="board_appraisal_di" bpmnElement="board_appraisal">'
    text = _replace(text, appraisal_shape, f'''<bpmndi:BPMNShape id="{CONSULTATION_ID}_di" \
bpmnElement="{CONSULTATION_ID}">
        <dc:Bounds x="880" y="590" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_consultation_done_di" bpmnElement="Flow_consultation_done">
        <di:waypoint x="980" y="630" />
        <di:waypoint x="1010" y="630" />
      </bpmndi:BPMNEdge>
      {appraisal_shape}''')
    return text


def without_cluster_review(text: str | None = None) -> str:
    """The unit head's approval goes straight to the board: no cluster step at all."""
    root = etree.fromstring((shipped() if text is None else text).encode("utf-8"))
    gone = {"cluster_review", "Gateway_cluster_review", "Flow_cluster_review_done",
            "Flow_cluster_review_approve", "Flow_cluster_review_return",
            "Flow_cluster_review_reject"}
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        refers = element.get("id") in gone or element.get("bpmnElement") in gone
        local = etree.QName(element).localname
        if local in ("flowNodeRef", "incoming", "outgoing") and (element.text or "") in gone:
            refers = True
        if refers:
            element.getparent().remove(element)
    process = root.find(f"{{{BPMN}}}process")
    flow = process.find(f"{{{BPMN}}}sequenceFlow[@id='Flow_unit_submit_approve']")
    flow.set("targetRef", "board_appraisal")
    appraisal = process.find(f"{{{BPMN}}}userTask[@id='board_appraisal']")
    incoming = etree.SubElement(appraisal, f"{{{BPMN}}}incoming")
    incoming.text = "Flow_unit_submit_approve"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")
