"""The interface in Vietnamese first and in English through the catalogue (DESIGN decision 12).

Pages are Vietnamese by default; ``?lang=en`` switches to English and the session remembers
the choice, through sign-in and sign-out. The English catalogue is complete: every message of
the source has a translation, with the same placeholders.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from service.app import create_app
from service.config import TestConfig
from service.domain.dossiers import DECISION_LABELS, OUTCOME_LABELS, STATUS_LABELS, SUBJECT_LABELS
from service.domain.roles import ROLE_LABELS
from service.usecases.documents import DOCUMENT_KINDS
from service.web.templating import HISTORY_LABELS
from tests.support import DEMO_PASSWORD
from tests.support.api import login as api_login
from tests.support.api import open_dossier

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "service" / "translations"
EN_PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
EN_MO = EN_PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sdif%]")
CSRF_VALUE = re.compile(r'name="csrf_token" value="[^"]*"')


@pytest.fixture
def english_catalogue() -> None:
    """The English pages need the compiled catalogue, as the service does."""
    if not EN_MO.exists() or EN_MO.stat().st_mtime < EN_PO.stat().st_mtime:
        pytest.fail(f"{EN_MO.relative_to(ROOT)} is missing or older than its .po: run "
                    "`make setup` (it runs pybabel compile -d service/translations)",
                    pytrace=False)


def sign_in(client, username: str = "donvi1"):
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD},
                           follow_redirects=True)
    assert response.status_code == 200
    return response


def text(response) -> str:
    return response.get_data(as_text=True)


def language_of(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("lang")


# --- Vietnamese first ---------------------------------------------------------------------


def test_login_page_is_vietnamese_by_default(client):
    page = text(client.get("/login"))
    assert '<html lang="vi">' in page
    assert "<title>Đăng nhập · TĐKT Flow</title>" in page
    assert '<label class="form-label" for="username">Tên đăng nhập</label>' in page
    assert '<label class="form-label" for="password">Mật khẩu</label>' in page
    assert 'type="submit">Đăng nhập</button>' in page
    # The switch names each language in that language.
    assert 'href="/login?lang=en" lang="en" hreflang="en">English</a>' in page
    assert ('aria-current="true" href="/login?lang=vi" lang="vi" hreflang="vi">Tiếng Việt</a>'
            in page)
    assert language_of(client) is None


def test_inbox_is_vietnamese_by_default(client):
    page = text(sign_in(client))
    assert '<h1 class="h4 mb-0 me-auto">Hộp công việc</h1>' in page
    assert ">Đang chờ xử lý</option>" in page
    assert ">Tất cả đợt thi đua</option>" in page
    assert "· Cán bộ TĐKT đơn vị · " in page  # a role label kept in the domain
    assert 'type="submit">Đăng xuất</button>' in page
    assert "TĐKT Flow · Quy trình xét thi đua, khen thưởng</footer>" in page


def test_an_unknown_language_is_ignored(client):
    page = text(client.get("/login?lang=fr"))
    assert '<html lang="vi">' in page and ">Tên đăng nhập</label>" in page
    assert language_of(client) is None


def test_vietnamese_pages_do_not_need_the_compiled_catalogue(client, tmp_path, sqlite_template):
    """Without any .mo the Vietnamese page is the same, and English falls back to it."""
    database = tmp_path / "bare.sqlite3"
    shutil.copyfile(sqlite_template, database)
    config = TestConfig(tmp_path / "bare", database_url=f"sqlite:///{database}")
    config.PROJECT_TRANSLATIONS = tmp_path / "no-translations"
    bare = create_app(config)
    bare.config.update(WTF_CSRF_ENABLED=False)
    try:
        bare_client = bare.test_client()
        assert (CSRF_VALUE.sub("", text(bare_client.get("/login")))
                == CSRF_VALUE.sub("", text(client.get("/login"))))
        fallback = text(bare_client.get("/login?lang=en"))
        assert '<html lang="en">' in fallback and ">Tên đăng nhập</label>" in fallback
    finally:
        bare.extensions["tdkt"].engine.dispose()


# --- English on request, remembered ---------------------------------------------------------


def test_login_page_in_english(client, english_catalogue):
    page = text(client.get("/login?lang=en"))
    assert '<html lang="en">' in page
    assert "<title>Sign in · TĐKT Flow</title>" in page
    assert '<label class="form-label" for="username">Username</label>' in page
    assert '<label class="form-label" for="password">Password</label>' in page
    assert 'type="submit">Sign in</button>' in page
    assert "TĐKT Flow · Emulation and commendation review workflow</footer>" in page
    assert 'aria-current="true" href="/login?lang=en" lang="en" hreflang="en">English</a>' in page
    assert "Tên đăng nhập" not in page
    assert language_of(client) == "en"


def test_english_sticks_through_sign_in_and_sign_out(client, english_catalogue):
    client.get("/login?lang=en")
    page = text(sign_in(client))  # sign-in starts a fresh session but keeps the language
    assert language_of(client) == "en"
    assert '<html lang="en">' in page
    assert '<h1 class="h4 mb-0 me-auto">Inbox</h1>' in page
    assert ">Awaiting action</option>" in page
    assert ">All emulation campaigns</option>" in page
    assert "· Emulation and commendation officer of the unit · " in page
    assert 'type="submit">Sign out</button>' in page

    page = text(client.get("/dossiers"))  # no ?lang: the session decides
    assert '<h1 class="h4 mb-0 me-auto">Commendation dossiers</h1>' in page
    assert ">All statuses</option>" in page and ">Under review</option>" in page

    page = text(client.post("/logout", follow_redirects=True))
    assert 'role="status">You have signed out.</div>' in page
    assert 'type="submit">Sign in</button>' in page
    assert language_of(client) == "en"


def test_switching_back_to_vietnamese_sticks(client, english_catalogue):
    sign_in(client)
    assert ">Awaiting action</option>" in text(client.get("/?lang=en"))
    assert ">Đang chờ xử lý</option>" in text(client.get("/?lang=vi"))
    assert ">Đang chờ xử lý</option>" in text(client.get("/"))
    assert language_of(client) == "vi"


def test_the_choice_sticks_even_when_the_page_redirects(client, english_catalogue):
    response = client.get("/?lang=en")  # not signed in: a redirect, nothing rendered
    assert response.status_code == 302
    assert language_of(client) == "en"
    assert 'type="submit">Sign in</button>' in text(client.get(response.headers["Location"]))


def test_the_switch_keeps_the_filters_of_the_page(client, english_catalogue):
    sign_in(client)
    page = text(client.get("/?state=completed&lang=en"))
    assert 'href="/?state=completed&amp;lang=vi" lang="vi" hreflang="vi">Tiếng Việt</a>' in page


def test_inbox_rows_flash_and_plurals_in_english(app, client, english_catalogue):
    dossier = open_dossier(api_login(app.test_client(), "donvi1"))  # due 15/12/2023: overdue
    sign_in(client)
    page = text(client.get("/?lang=en"))
    row = page[page.index(f'data-dossier-id="{dossier["id"]}"'):]
    assert re.search(r"Overdue by \d+ working days</span>", row)
    assert ">Unclaimed</span>" in row
    assert 'type="submit">Claim</button>' in row

    task = row[row.index("/tasks/") + len("/tasks/"):].split("/", 1)[0]
    page = text(client.post(f"/tasks/{task}/claim", follow_redirects=True))
    assert 'role="status">Task claimed.</div>' in page

    page = text(client.get(f"/dossiers/{dossier['id']}"))
    assert f"Dossier #{dossier['id']} · " in page
    assert ">In preparation</span>" in page
    assert "<td>Collective</td>" in page and "<td>Pending review</td>" in page
    assert ">Processing history</h2>" in page and ">Create dossier</td>" in page

    vietnamese = text(client.get("/?lang=vi"))
    assert re.search(r"Quá hạn \d+ ngày làm việc</span>", vietnamese)


def test_error_pages_in_english_and_api_messages_as_text(app, client, english_catalogue):
    page = text(client.get("/no-such-page?lang=en"))
    assert '<h1 class="h3">Error 404</h1>' in page
    assert "The requested page or data was not found." in page
    assert ">Back to the inbox</a>" in page
    # An API client has no session: Vietnamese, and the lazy message arrives as plain text.
    body = app.test_client().get("/api/v1/no-such-thing").get_json()
    assert body["error"]["message"] == "Không tìm thấy trang hoặc dữ liệu yêu cầu."


# --- the catalogue ---------------------------------------------------------------------------


def _forms(message) -> list[tuple[str, str]]:
    """(source, translation) pairs: one for a plain message, one per plural form."""
    if isinstance(message.id, tuple):
        singular, plural = message.id
        strings = message.string
        return [(singular, strings[0]), *((plural, s) for s in strings[1:])]
    return [(message.id, message.string)]


def _catalogue():
    with EN_PO.open("rb") as f:
        return read_po(f)


def test_english_catalogue_is_complete_and_consistent():
    catalogue = _catalogue()
    assert catalogue.locale_identifier == "en"
    assert not catalogue.fuzzy, "the header is marked fuzzy: pybabel compile would skip it"
    assert not catalogue.obsolete, f"obsolete entries: {list(catalogue.obsolete)}"
    messages = [m for m in catalogue if m.id]
    assert len(messages) > 150
    problems = []
    for message in messages:
        where = f"{message.context + ' | ' if message.context else ''}{message.id!r}"
        if message.fuzzy:
            problems.append(f"fuzzy: {where}")
        if isinstance(message.id, tuple) and len(message.string) != catalogue.num_plurals:
            problems.append(f"plural forms: {where}")
        for source, translation in _forms(message):
            if not translation or not translation.strip():
                problems.append(f"untranslated: {where}")
            elif sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(translation)):
                problems.append(f"placeholders differ: {where} -> {translation!r}")
            # Templates mark translations safe: markup characters must come from the source.
            elif set(re.findall(r'[<>&"]', translation)) - set(source):
                problems.append(f"markup in translation: {where} -> {translation!r}")
    assert not problems, "\n".join(problems)


def test_catalogue_holds_every_message_of_the_source():
    """What pybabel extract finds today (babel.cfg) is all in the .po: nothing left out."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = {(context, message[0] if isinstance(message, tuple) else message)
             for _file, _line, message, _comments, context
             in extract_from_dir(str(ROOT), method_map, options_map)}
    known = {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id)
             for m in _catalogue() if m.id}
    missing = sorted(found - known, key=str)
    assert not missing, f"run pybabel extract and update (see babel.cfg): {missing}"
    assert not known - found, f"no longer in the source: {sorted(known - found, key=str)}"


@pytest.mark.parametrize("labels", [STATUS_LABELS, SUBJECT_LABELS, OUTCOME_LABELS,
                                    DECISION_LABELS, ROLE_LABELS, DOCUMENT_KINDS,
                                    HISTORY_LABELS],
                         ids=["status", "subject", "outcome", "decision", "role", "document",
                              "history"])
def test_python_labels_are_in_the_catalogue(labels):
    """A label added to these dicts without N_(...) would stay Vietnamese on English pages."""
    known = {m.id for m in _catalogue() if m.id and not m.context}
    assert not [v for v in labels.values() if v not in known]
