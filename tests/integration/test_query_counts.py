"""No N+1: a list costs the same SQL statements whether it shows 1 row or 20.

The model's relationships are lazy; each list query says what it loads with it
(service/web/serializers.py, service/usecases/tasks.py INBOX_LOAD, dossiers.LIST_LOAD). Every
row here has what a list shows filled in (a claimant, a completer, proposal lines, a document
with its version), so that a relationship loaded row by row would show up in the count.
Rows that share a related object (all claimed by donvi1, all of unit 1) would hide a lazy
many-to-one behind the session's identity map, so each list also has an exact budget.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event

from tests.support import DEMO_PASSWORD
from tests.support.api import ApiUser, login, open_dossier
from tests.support.files import docx_bytes

# GET /tasks: BEGIN, the principal (token ⋈ user ⋈ roles, then the organisations up the
# tree), BEGIN, the tasks with who claimed and who completed them.
INBOX_STATEMENTS = 5
BUDGETS = {
    "api open tasks": INBOX_STATEMENTS,
    "api completed tasks": INBOX_STATEMENTS,
    "api head's open tasks": INBOX_STATEMENTS,
    # ... BEGIN, the dossiers with their units, their proposal lines, documents, versions.
    "api dossiers": 8,
    # BEGIN and the principal (session user ⋈ roles, organisations), BEGIN, the rows with
    # what they show, the campaigns of the filter.
    "page inbox": 6,
    "page completed": 6,
    "page dossiers": 6,
}


def count_statements(engine, call: Callable[[], object]) -> tuple[int, object]:
    """Statements that reach the driver while ``call`` runs (BEGIN included)."""
    seen: list[str] = []

    def listener(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = call()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen), result


def _add(donvi: ApiUser, count: int) -> None:
    """``count`` dossiers whose first step donvi1 has claimed, each with a document, and
    ``count`` more whose first step donvi1 has completed (the unit head's inbox)."""
    for n in range(count):
        did = open_dossier(donvi, title=f"Hồ sơ đang nhận {n}")["id"]
        assert donvi.upload(did, f"Báo cáo {n}.docx", docx_bytes()).status_code == 201
        task = donvi.task_for(did)
        assert donvi.post(f"/tasks/{task['id']}/claim").status_code == 200
        donvi.decide(open_dossier(donvi, title=f"Hồ sơ đã xử lý {n}")["id"], "approve")


def _measure(app, engine, donvi: ApiUser, head: ApiUser, page) -> dict[str, tuple[int, int]]:
    """For each list: (statements, rows)."""
    calls = {
        "api open tasks": lambda: donvi.get("/tasks?state=open"),
        "api completed tasks": lambda: donvi.get("/tasks?state=completed"),
        "api head's open tasks": lambda: head.get("/tasks?state=open"),
        "api dossiers": lambda: donvi.get("/dossiers"),
        "page inbox": lambda: page.get("/"),
        "page completed": lambda: page.get("/?state=completed"),
        "page dossiers": lambda: page.get("/dossiers"),
    }
    out = {}
    for name, call in calls.items():
        statements, response = count_statements(engine, call)
        assert response.status_code == 200, (name, response.status_code)
        if name.startswith("api"):
            rows = len(response.get_json()["items"])
        elif name == "page dossiers":
            html = response.get_data(as_text=True)
            rows = html.count("Hồ sơ đang nhận") + html.count("Hồ sơ đã xử lý")
        else:
            rows = response.get_data(as_text=True).count('data-task-id="')
        out[name] = (statements, rows)
    return out


def test_lists_cost_the_same_statements_for_1_and_20_rows(app):
    client = app.test_client()
    engine = app.extensions["tdkt"].engine
    donvi, head = login(client, "donvi1"), login(client, "thutruong1")
    page = app.test_client()
    assert page.post("/login", data={"username": "donvi1",
                                     "password": DEMO_PASSWORD}).status_code == 302

    _add(donvi, 1)
    one = _measure(app, engine, donvi, head, page)
    _add(donvi, 19)
    twenty = _measure(app, engine, donvi, head, page)

    assert one["api open tasks"][1] == 1 and twenty["api open tasks"][1] == 20
    assert one["api completed tasks"][1] == 1 and twenty["api completed tasks"][1] == 20
    assert one["api head's open tasks"][1] == 1 and twenty["api head's open tasks"][1] == 20
    assert one["api dossiers"][1] == 2 and twenty["api dossiers"][1] == 40
    assert one["page inbox"][1] == 1 and twenty["page inbox"][1] == 20
    assert one["page completed"][1] == 1 and twenty["page completed"][1] == 20
    assert one["page dossiers"][1] == 2 and twenty["page dossiers"][1] == 40
    assert {name: n for name, (n, _) in one.items()} == {
        name: n for name, (n, _) in twenty.items()}
    assert {name: n for name, (n, _) in one.items()} == BUDGETS


def test_inbox_api_lists_claimant_and_completer_without_extra_statements(app):
    """The users come with the tasks (a join), not one query per task."""
    client = app.test_client()
    engine = app.extensions["tdkt"].engine
    donvi = login(client, "donvi1")
    _add(donvi, 3)
    statements, response = count_statements(engine, lambda: donvi.get("/tasks?state=open"))
    items = response.get_json()["items"]
    assert [t["claimed_by"] for t in items] == ["donvi1"] * 3
    assert statements == INBOX_STATEMENTS
    statements, response = count_statements(engine, lambda: donvi.get("/tasks?state=completed"))
    assert [t["completed_by"] for t in response.get_json()["items"]] == ["donvi1"] * 3
    assert statements == INBOX_STATEMENTS


def trace_statements(engine, call: Callable[[], object]) -> tuple[list[str], object]:
    """The statements ``call`` runs, in order, with "COMMIT" where a transaction commits."""
    seen: list[str] = []

    def statement(_conn, _cursor, sql, *_args) -> None:
        seen.append(" ".join(sql.split()))

    def commit(_conn) -> None:
        seen.append("COMMIT")

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        result = call()
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    return seen, result


def _starting(statements: list[str], prefix: str) -> int:
    return sum(1 for s in statements if s.startswith(prefix))


def test_each_command_writes_its_rows_once_and_reads_nothing_after_commit(app):
    client = app.test_client()
    engine = app.extensions["tdkt"].engine
    users = {name: login(client, name)
             for name in ("donvi1", "thutruong1", "cum1", "bantdkt", "chutich")}

    statements, response = trace_statements(engine, lambda: open_dossier(users["donvi1"]))
    assert statements[-1] == "COMMIT", "the answer is built before the commit"
    assert _starting(statements, "BEGIN IMMEDIATE") == 1
    did = response["id"]

    for name in users:  # the whole route, the last step (outcome, proposal lines) included
        task = users[name].task_for(did)
        body = {"decision": "approve", "comment": ""}
        members = users[name].get(f"/tasks/{task['id']}").get_json()["form"]["meeting_members"]
        if members:
            body["meeting"] = {"present": [m["id"] for m in members]}
        statements, response = trace_statements(engine, lambda u=users[name], t=task, b=body:
                                                 u.post(f"/tasks/{t['id']}/complete", json=b))
        assert response.status_code == 200, response.get_json()
        assert statements[-1] == "COMMIT"
        assert _starting(statements, "BEGIN IMMEDIATE") == 1
        assert _starting(statements, "UPDATE dossier ") == 1, statements
        assert _starting(statements, "UPDATE process_instance ") == 1, statements
        assert _starting(statements, "UPDATE task ") == 1  # the compare-and-set
        loads = [s for s in statements if s.startswith("SELECT task.id")
                 and "WHERE task.id = ?" in s]
        assert len(loads) == 1, "the task is loaded once, not refreshed"
    assert response.get_json()["dossier"]["status"] == "approved"
    assert response.get_json()["task"]["completed_by"] == "chutich"
