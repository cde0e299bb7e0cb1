"""Publishing a diagram: what the registry accepts and what it refuses (SE-2, SE-3, XML-1)."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from service.domain.documents import DOCUMENT_KINDS, GENERATED_KINDS
from service.engine import factory
from service.engine.evaluator import ExpressionError
from service.engine.registry import (
    CompiledModel,
    Decision,
    ModelInvalid,
    ValidationIssue,
    compile_bpmn,
    validate_bpmn,
)
from service.engine.xml import parse_xml

FIXTURES = Path(__file__).parent / "bpmn"
COMMENDATION = Path(__file__).parents[2] / "workflows" / "bpmn" / "commendation.bpmn"
ROLES = {"unit_officer", "unit_head", "cluster_leader", "board_specialist", "chairman"}


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def issues_for(xml: str | bytes, roles: set[str] = ROLES) -> list[ValidationIssue]:
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    issues = validate_bpmn(data, roles)
    with pytest.raises(ModelInvalid) as info:
        compile_bpmn(data, roles)
    assert info.value.issues == issues
    return issues


def codes(issues: list[ValidationIssue]) -> set[tuple[str | None, str]]:
    return {(issue.element_id, issue.code) for issue in issues}


# -- the shipped diagram --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model() -> CompiledModel:
    return compile_bpmn(COMMENDATION.read_bytes(), ROLES)


def test_commendation_compiles(model: CompiledModel) -> None:
    xml = COMMENDATION.read_bytes()
    assert validate_bpmn(xml, ROLES) == []
    assert model.process_id == "commendation"
    assert model.name == "Quy trình xét khen thưởng"
    assert model.xml == xml
    assert model.sha256 == hashlib.sha256(xml).hexdigest()
    spec, subprocess_specs = factory.load_spec(model.spec_json)
    assert spec.name == "commendation"
    assert subprocess_specs == {}


def test_commendation_steps(model: CompiledModel) -> None:
    steps = model.steps
    assert list(steps) == [
        "unit_prepare",
        "unit_submit",
        "cluster_review",
        "board_appraisal",
        "chairman_decision",
    ]
    expected = {
        "unit_prepare": ("Chuẩn bị hồ sơ", "Đơn vị", "unit_officer", "unit"),
        "unit_submit": ("Thủ trưởng ký trình", "Đơn vị", "unit_head", "unit"),
        "cluster_review": (
            "Cụm thi đua xét duyệt", "Cụm/Khối thi đua", "cluster_leader", "cluster"
        ),
        "board_appraisal": ("Ban TĐKT thẩm định", "Ban TĐKT", "board_specialist", "province"),
        "chairman_decision": ("Chủ tịch quyết định", "Chủ tịch UBND", "chairman", "province"),
    }
    for step_id, (name, lane, role, scope) in expected.items():
        step = steps[step_id]
        assert (step.id, step.name, step.lane, step.role, step.scope) == (
            step_id, name, lane, role, scope,
        )
        assert "note" in step.fields
    assert steps["unit_prepare"].decisions == (Decision("approve", "Chuyển thủ trưởng ký trình"),)
    assert steps["unit_submit"].decisions == (
        Decision("approve", "Trình Cụm thi đua"),
        Decision("return", "Trả lại cán bộ chuẩn bị"),
    )
    assert [d.value for d in steps["cluster_review"].decisions] == ["approve", "return", "reject"]
    assert steps["chairman_decision"].decisions[1] == Decision("return", "Trả lại Ban TĐKT")
    assert steps["board_appraisal"].due_working_days == 20
    assert steps["unit_prepare"].due_working_days is None


def test_commendation_text_is_nfc() -> None:
    text = COMMENDATION.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)


def test_commendation_has_full_diagram_interchange() -> None:
    root = parse_xml(COMMENDATION.read_bytes())
    ns = {
        "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
        "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    }
    drawn = {el.get("bpmnElement") for el in root.iterfind(".//bpmndi:BPMNShape", ns)}
    drawn |= {el.get("bpmnElement") for el in root.iterfind(".//bpmndi:BPMNEdge", ns)}
    process = root.find("bpmn:process", ns)
    elements = {el.get("id") for el in process if el.get("id") and not el.tag.endswith("laneSet")}
    lanes = {el.get("id") for el in process.iterfind(".//bpmn:lane", ns)}
    assert elements | lanes | {"Participant_commendation"} <= drawn


def test_single_non_executable_process_is_accepted() -> None:
    # bpmn-js writes isExecutable="false" unless told otherwise.
    xml = COMMENDATION.read_text(encoding="utf-8").replace(
        'isExecutable="true"', 'isExecutable="false"'
    )
    assert compile_bpmn(xml.encode(), ROLES).process_id == "commendation"


# -- SE-1 / SE-2: a hostile gateway condition -----------------------------------------------------


def test_gateway_injection_refused_with_flow_id_and_nothing_runs(tmp_path: Path) -> None:
    canary = tmp_path / "pwned"
    xml = fixture("gateway_injection.bpmn").replace("CANARY_PATH", str(canary))
    issues = issues_for(xml)
    assert codes(issues) == {("Flow_pwn", "condition_invalid")}
    assert issues[0].element_name == "Nhánh độc hại"
    assert not canary.exists()


def _raw_spec(xml: str):  # noqa: ANN202 - SpiffWorkflow's untyped spec
    parser = SpiffBpmnParser()
    parser.add_bpmn_xml(parse_xml(xml.encode()))
    return parser.get_spec("injection")


def _run_to_gateway(workflow: BpmnWorkflow) -> None:
    workflow.do_engine_steps()
    task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    task.run()
    workflow.do_engine_steps()


def test_the_payload_is_live_under_spiffs_default_engine(tmp_path: Path) -> None:
    """Control: the stock engine really runs the condition, so the refusals above matter."""
    canary = tmp_path / "pwned"
    xml = fixture("gateway_injection.bpmn").replace("CANARY_PATH", str(canary))
    _run_to_gateway(BpmnWorkflow(_raw_spec(xml)))
    assert canary.exists()


def test_factory_engine_refuses_the_payload_even_if_published(tmp_path: Path) -> None:
    """Defence in depth: a spec that skipped the registry still cannot run the condition."""
    canary = tmp_path / "pwned"
    xml = fixture("gateway_injection.bpmn").replace("CANARY_PATH", str(canary))
    workflow = factory.new_workflow(_raw_spec(xml))
    with pytest.raises(ExpressionError):
        _run_to_gateway(workflow)
    assert not canary.exists()


@pytest.mark.parametrize(
    "condition",
    [
        "().__class__.__base__.__subclasses__()",
        "9**9**9",
        "'a'*10**9",
        "lambda: True",
        "decision.startswith('a')",
        "decision ==",
    ],
)
def test_any_refused_expression_blocks_publishing(condition: str) -> None:
    flow = (
        '<bpmn:sequenceFlow id="Flow_cluster_review_reject" name="Không đề nghị" '
        'sourceRef="Gateway_cluster_review" targetRef="end_rejected">\n'
        '      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
    )
    xml = _commendation(flow + "decision == 'reject'", flow + condition)
    assert codes(issues_for(xml)) == {("Flow_cluster_review_reject", "condition_invalid")}


def test_a_nested_condition_cannot_hide_from_the_check() -> None:
    # SpiffWorkflow reads the first './/bpmn:conditionExpression', which may be nested.
    flow = (
        '<bpmn:sequenceFlow id="Flow_cluster_review_reject" name="Không đề nghị" '
        'sourceRef="Gateway_cluster_review" targetRef="end_rejected">'
    )
    hidden = (
        "<bpmn:extensionElements><bpmn:conditionExpression>__import__('os').getpid()"
        "</bpmn:conditionExpression></bpmn:extensionElements>"
    )
    xml = _commendation(flow, flow + hidden)
    assert codes(issues_for(xml)) == {("Flow_cluster_review_reject", "condition_invalid")}


# -- SE-3: scripts ---------------------------------------------------------------------------------


def test_script_task_and_prescript_refused_with_ids() -> None:
    issues = issues_for(fixture("script_task.bpmn"))
    assert codes(issues) == {("Script_exec", "script_refused"), ("review", "script_refused")}
    assert all("Kịch bản" in issue.message for issue in issues)


def test_script_calling_a_registered_function_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(factory.REGISTERED_FUNCTIONS, "mark_received", lambda data: None)
    xml = (
        fixture("script_task.bpmn")
        .replace("import os\nos.system('id')", "mark_received()")
        .replace("open('/etc/passwd').read()", "mark_received()")
    )
    model = compile_bpmn(xml.encode(), ROLES)
    assert list(model.steps) == ["review"]


@pytest.mark.parametrize(
    "script",
    ["mark_received", "mark_received(); x = 1", "mark_received(key=1)", "os.mark_received()",
     "mark_received(__import__('os'))", "other()"],
)
def test_script_must_be_exactly_a_registered_call(
    script: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(factory.REGISTERED_FUNCTIONS, "mark_received", lambda data: None)
    xml = fixture("script_task.bpmn").replace("import os\nos.system('id')", script)
    assert ("Script_exec", "script_refused") in codes(issues_for(xml))


# -- lanes, steps, gateways, end events -----------------------------------------------------------


def test_lane_with_unknown_role_refused() -> None:
    issues = issues_for(fixture("unknown_role.bpmn"))
    assert ("Lane_mayor", "role_unknown") in codes(issues)
    assert ("sign", "role_unknown") in codes(issues)
    assert compile_bpmn(fixture("unknown_role.bpmn").encode(), ROLES | {"mayor"})


def test_gateway_without_condition_or_default_refused() -> None:
    issues = issues_for(fixture("gateway_no_condition.bpmn"))
    assert codes(issues) == {("Flow_yes", "condition_missing"), ("Flow_no", "condition_missing")}


def test_gateway_with_condition_and_default_accepted() -> None:
    xml = (
        fixture("gateway_no_condition.bpmn")
        .replace('<bpmn:exclusiveGateway id="Gateway_1">',
                 '<bpmn:exclusiveGateway id="Gateway_1" default="Flow_no">')
        .replace(
            '<bpmn:sequenceFlow id="Flow_yes" sourceRef="Gateway_1" targetRef="end_approved" />',
            '<bpmn:sequenceFlow id="Flow_yes" sourceRef="Gateway_1" targetRef="end_approved">'
            "<bpmn:conditionExpression>decision == 'approve'</bpmn:conditionExpression>"
            "</bpmn:sequenceFlow>",
        )
    )
    assert compile_bpmn(xml.encode(), ROLES).steps["appraise"].role == "board_specialist"


def _commendation(old: str, new: str) -> str:
    text = COMMENDATION.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '<tdkt:decision value="approve" label="Chuyển thủ trưởng ký trình" />',
            "",
            ("unit_prepare", "decisions_missing"),
        ),
        (
            '<tdkt:decision value="approve" label="Chuyển thủ trưởng ký trình" />',
            '<tdkt:decision value="skip_cluster" label="Bỏ qua" />',
            ("unit_prepare", "decision_invalid"),
        ),
        (
            '<tdkt:decision value="return" label="Trả lại cán bộ chuẩn bị" />',
            '<tdkt:decision value="approve" label="Lặp lại" />',
            ("unit_submit", "decision_duplicate"),
        ),
        (
            '<tdkt:field name="cluster_ranking" />',
            '<tdkt:field name="decision" />',
            ("cluster_review", "field_invalid"),
        ),
        (
            '<tdkt:field name="cluster_ranking" />',
            '<tdkt:field name="note" />',
            ("cluster_review", "field_duplicate"),
        ),
        (
            '<tdkt:step dueWorkingDays="20">',
            '<tdkt:step dueWorkingDays="-3">',
            ("board_appraisal", "due_invalid"),
        ),
        (
            '<tdkt:step role="unit_officer">',
            '<tdkt:step role="janitor">',
            ("unit_prepare", "role_unknown"),
        ),
        (
            '<tdkt:lane role="cluster_leader" scope="cluster" />',
            '<tdkt:lane role="cluster_leader" scope="nation" />',
            ("Lane_cluster", "scope_invalid"),
        ),
        (
            '<tdkt:end outcome="approved" />',
            '<tdkt:end outcome="maybe" />',
            ("end_approved", "outcome_missing"),
        ),
        (
            '<bpmn:sequenceFlow id="Flow_prepare_done" sourceRef="unit_prepare" '
            'targetRef="unit_submit" />',
            '<bpmn:sequenceFlow id="Flow_prepare_done" sourceRef="unit_prepare" '
            'targetRef="unit_submit"><bpmn:conditionExpression>True</bpmn:conditionExpression>'
            "</bpmn:sequenceFlow>",
            ("Flow_prepare_done", "condition_not_on_gateway"),
        ),
        (
            '<bpmn:userTask id="unit_submit" name="Thủ trưởng ký trình">',
            '<bpmn:userTask id="unit_submit" name="Thủ trưởng ký trình">'
            "<bpmn:standardLoopCharacteristics />",
            ("unit_submit", "unsupported_loop"),
        ),
        (
            '<bpmn:endEvent id="end_approved" name="Được khen thưởng">',
            '<bpmn:endEvent id="end_approved" name="Được khen thưởng">'
            "<bpmn:messageEventDefinition />",
            ("end_approved", "unsupported_event"),
        ),
    ],
)
def test_metadata_problems_are_reported_by_element(
    old: str, new: str, expected: tuple[str, str]
) -> None:
    issues = issues_for(_commendation(old, new))
    assert expected in codes(issues)
    assert all(unicodedata.is_normalized("NFC", issue.message) for issue in issues)


@pytest.mark.parametrize("tag", ["serviceTask", "task", "manualTask", "businessRuleTask",
                                 "sendTask", "subProcess", "callActivity"])
def test_unsupported_element_types_refused(tag: str) -> None:
    element = f'<bpmn:{tag} id="Extra_1" name="Thêm" />'
    xml = _commendation('<bpmn:startEvent id="StartEvent_submit"',
                        element + '<bpmn:startEvent id="StartEvent_submit"')
    assert ("Extra_1", "unsupported_element") in codes(issues_for(xml))


def test_task_without_lane_may_declare_its_own_role_and_scope() -> None:
    xml = (
        fixture("unknown_role.bpmn")
        .replace("<bpmn:flowNodeRef>sign</bpmn:flowNodeRef>", "")
        .replace("<tdkt:step>", '<tdkt:step role="chairman" scope="province">')
    )
    step = compile_bpmn(xml.encode(), ROLES | {"mayor"}).steps["sign"]
    assert (step.lane, step.role, step.scope) == (None, "chairman", "province")
    no_role = xml.replace('<tdkt:step role="chairman" scope="province">', "<tdkt:step>")
    assert ("sign", "role_missing") in codes(issues_for(no_role, ROLES | {"mayor"}))


# -- what SpiffWorkflow itself rejects -------------------------------------------------------------


def test_spiff_validation_error_reported_with_element_id_not_raw_text() -> None:
    xml = fixture("unknown_role.bpmn").replace(
        'sourceRef="sign" targetRef="end_approved"', 'sourceRef="sign" targetRef="nowhere"'
    )
    issues = issues_for(xml, ROLES | {"mayor"})
    # Our own structure check names the end event that nothing leads to any more.
    assert codes(issues) == {("sign", "bpmn_invalid"), ("end_approved", "unreachable")}
    spiff = next(issue for issue in issues if issue.code == "bpmn_invalid")
    assert "task spec" not in spiff.message and "found" not in spiff.message


def test_spiff_leaking_keyerror_is_caught_at_the_boundary() -> None:
    # SpiffWorkflow 3.2 raises a bare KeyError('name') for a data-object property without a name.
    xml = fixture("unknown_role.bpmn").replace(
        'xmlns:tdkt=',
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" xmlns:tdkt=',
    ).replace(
        '<bpmn:startEvent id="start">',
        '<bpmn:dataObject id="DataObject_1"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property value="x" /></spiffworkflow:properties></bpmn:extensionElements>'
        '</bpmn:dataObject><bpmn:startEvent id="start">',
    )
    issues = issues_for(xml, ROLES | {"mayor"})
    assert [issue.code for issue in issues] == ["bpmn_invalid"]
    assert "name" not in issues[0].message


# -- not BPMN, or not safe XML --------------------------------------------------------------------


def test_xxe_upload_refused_as_xml_issue() -> None:
    issues = issues_for((FIXTURES / "xxe_file.bpmn").read_bytes())
    assert codes(issues) == {(None, "xml_doctype")}
    assert "root:" not in json.dumps([issue.message for issue in issues])


@pytest.mark.parametrize(
    ("xml", "code"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not_bpmn"),
        (b"<definitions/>", "not_bpmn"),
        (b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'/>",
         "process_missing"),
        (b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>"
         b"<bpmn:process id='a' isExecutable='true'/><bpmn:process id='b' isExecutable='true'/>"
         b"</bpmn:definitions>", "process_ambiguous"),
        (b"<broken", "xml_malformed"),
    ],
)
def test_not_a_single_bpmn_process(xml: bytes, code: str) -> None:
    assert [issue.code for issue in issues_for(xml)] == [code]


# -- diagrams saved by other modelers --------------------------------------------------------------

EXPORT = Path(__file__).parents[1] / "e2e" / "fixtures" / "camunda_modeler_export.bpmn"
KINDS = {"report", "appraisal", "attachment"}
SERVICE_KINDS = set(DOCUMENT_KINDS)


def test_camunda_modeler_export_compiles_ignoring_camunda_extensions() -> None:
    model = compile_bpmn(EXPORT.read_bytes(), ROLES | {"board_head"}, document_kinds=KINDS)
    assert model.process_id == "Process_khen_thuong_rut_gon"
    steps = model.steps
    assert [s.role for s in steps.values()] == ["unit_officer", "cluster_leader",
                                                "board_specialist", "board_head"]
    assert steps["Activity_0v7z4nb"].requires == ("report",)
    assert steps["Activity_0b8t3ua"].produces == ("appraisal",)
    assert "camunda" not in model.spec_json.replace("camunda.org", "")


@pytest.mark.parametrize("executable", ['isExecutable="false"', ""])
def test_a_collaboration_picks_the_only_pool_with_a_process(executable: str) -> None:
    # bpmn.io marks nothing executable; an empty pool stands for an outside party.
    xml = (EXPORT.read_text(encoding="utf-8").replace('isExecutable="true"', executable)
           .replace('name="Hội đồng Thi đua – Khen thưởng tỉnh" />',
                    'name="Hội đồng Thi đua – Khen thưởng tỉnh" processRef="Process_hd" />', 1)
           .replace("  <bpmn:process id=", '  <bpmn:process id="Process_hd" isExecutable="false" />'
                    "\n  <bpmn:process id=", 1))
    assert xml.count("<bpmn:process ") == 2
    model = compile_bpmn(xml.encode(), ROLES | {"board_head"}, document_kinds=KINDS)
    assert model.process_id == "Process_khen_thuong_rut_gon"


def test_two_populated_pools_without_an_executable_one_are_ambiguous() -> None:
    text = COMMENDATION.read_text(encoding="utf-8").replace('isExecutable="true"',
                                                            'isExecutable="false"')
    process = text[text.index("<bpmn:process"):text.index("</bpmn:process>") + 15]
    twin = process.replace('id="commendation"', 'id="commendation_copy"')
    xml = text.replace("</bpmn:process>", "</bpmn:process>" + twin, 1)
    assert [i.code for i in issues_for(xml)] == ["process_ambiguous"]


def test_document_kinds_must_be_known_and_uses_valid() -> None:
    step = '<tdkt:step dueWorkingDays="20">'
    cases = {
        '<tdkt:document kind="report" use="requires" />': None,
        '<tdkt:document kind="secret_file" use="requires" />': "document_kind_unknown",
        '<tdkt:document kind="report" use="destroys" />': "document_use_invalid",
        '<tdkt:document kind="report" use="generates" />': "document_not_generated",
    }
    for document, code in cases.items():
        xml = _commendation(step, step + document).encode()
        issues = validate_bpmn(xml, ROLES, document_kinds=SERVICE_KINDS,
                               generated_kinds=GENERATED_KINDS)
        if code is None:
            assert issues == []
            steps = compile_bpmn(xml, ROLES, document_kinds=SERVICE_KINDS,
                                 generated_kinds=GENERATED_KINDS).steps
            assert steps["board_appraisal"].requires == ("report",)
            assert steps["board_appraisal"].generates == (
                "appraisal", "board_submission", "draft_decision")
        else:
            assert codes(issues) == {("board_appraisal", code)}
    # The engine alone (no catalogue given) does not check the kinds.
    xml = _commendation(step, step + '<tdkt:document kind="secret_file" use="requires" />')
    assert validate_bpmn(xml.encode(), ROLES) == []


def test_event_definitions_hidden_in_extensions_are_seen() -> None:
    # SpiffWorkflow finds event definitions at any depth: a hidden one must not slip through.
    xml = _commendation(
        '<bpmn:outgoing>Flow_start</bpmn:outgoing>',
        "<bpmn:outgoing>Flow_start</bpmn:outgoing><bpmn:extensionElements>"
        "<bpmn:messageEventDefinition /></bpmn:extensionElements>")
    assert ("StartEvent_submit", "unsupported_event") in codes(issues_for(xml))


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('<bpmn:sequenceFlow id="Flow_prepare_done" sourceRef="unit_prepare" '
     'targetRef="unit_submit" />', "", {("unit_prepare", "dead_end"),
                                         ("unit_submit", "unreachable")}),
    ('<bpmn:sequenceFlow id="Flow_start"', '<bpmn:sequenceFlow', {(None, "id_missing")}),
    ('<bpmn:startEvent id="StartEvent_submit" name="Đơn vị lập hồ sơ đề nghị">',
     '<bpmn:startEvent id="Start_2"><bpmn:outgoing>Flow_start_2</bpmn:outgoing>'
     '</bpmn:startEvent><bpmn:sequenceFlow id="Flow_start_2" sourceRef="Start_2" '
     'targetRef="unit_prepare" />'
     '<bpmn:startEvent id="StartEvent_submit" name="Đơn vị lập hồ sơ đề nghị">',
     {("StartEvent_submit", "start_multiple")}),
])
def test_structure_problems_are_reported_by_element(old, new, expected) -> None:
    assert expected <= codes(issues_for(_commendation(old, new)))


def test_a_process_without_start_or_end_is_reported() -> None:
    xml = (b"<bpmn:definitions xmlns:bpmn='http://www.omg.org/spec/BPMN/20100524/MODEL'>"
           b"<bpmn:process id='p' isExecutable='true'/></bpmn:definitions>")
    assert {(None, "start_missing"), (None, "end_missing")} <= codes(issues_for(xml))
