"""Real-browser support: the service on a loopback port and Debian's Chromium driven by Playwright.

Every page a test opens is watched: a console error, an uncaught script error, a Content
Security Policy violation, a failed request or a sub-resource answered with an error status
fails the test, as does an error logged by the service while it answers.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, Response
from werkzeug.serving import BaseWSGIServer, make_server

from tests.support import DEMO_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
VIEWPORT = {"width": 1440, "height": 900}
TIMEOUT_MS = 10_000

# A script added to every document before its own scripts: reports CSP violations to Python.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__tdktCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || document.location.href}:${e.lineNumber}`);
});
"""


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's Chromium; a missing browser is a failure with the remedy, never a skip."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the browser tests need Debian's package "
            "(apt-get install -y --no-install-recommends chromium fonts-dejavu-core)",
            pytrace=False,
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


class LiveServer:
    """The application served by werkzeug on 127.0.0.1 and a free port, in a daemon thread."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="live-server", daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


class ServerErrors(logging.Handler):
    """Collects errors the service logs (an unhandled exception becomes a 500 page)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))

    @contextmanager
    def installed(self) -> Iterator[ServerErrors]:
        root = logging.getLogger()
        root.addHandler(self)
        try:
            yield self
        finally:
            root.removeHandler(self)


@dataclass
class Problems:
    """What went wrong in any page of one test, and what the test said to expect."""

    found: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)

    def add(self, who: str, text: str) -> None:
        if any(p.search(text) for p in self.expected):
            return
        self.found.append(f"[{who}] {text}")

    @contextmanager
    def expecting(self, pattern: str) -> Iterator[None]:
        """Tolerate problems matching ``pattern`` (a regular expression) inside the block."""
        compiled = re.compile(pattern)
        self.expected.append(compiled)
        try:
            yield
        finally:
            self.expected.remove(compiled)


class BrowserUser:
    """One signed-in person: an isolated browser context (own cookies) with one page."""

    def __init__(self, browser: Browser, base_url: str, username: str, problems: Problems,
                 server_errors: ServerErrors) -> None:
        self.username = username
        self.problems = problems
        self.server_errors = server_errors
        self.context = browser.new_context(base_url=base_url, locale="vi-VN",
                                           timezone_id="Asia/Ho_Chi_Minh", viewport=VIEWPORT)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.expose_function("__tdktCspViolation", self._on_csp)
        self.context.add_init_script(_CSP_LISTENER)
        self.page: Page = self.context.new_page()
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.problems.add(self.username,
                                                                f"page error: {exc}"))
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("response", self._on_response)

    # -- watchers --------------------------------------------------------------------------

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "assert"):
            where = message.location.get("url", "") if message.location else ""
            self.problems.add(self.username, f"console {message.type}: {message.text} ({where})")

    def _on_csp(self, text: str) -> None:
        self.problems.add(self.username, f"CSP violation: {text}")

    def _on_request_failed(self, request: Request) -> None:
        self.problems.add(self.username,
                          f"request failed: {request.method} {request.url}: {request.failure}")

    def _on_response(self, response: Response) -> None:
        if response.status >= 400:
            kind = response.request.resource_type
            self.problems.add(self.username,
                              f"HTTP {response.status} for {kind} {response.request.method} "
                              f"{response.url}")

    def check(self) -> None:
        """Fail now if any page so far showed a problem or the service logged an error.

        What is reported is forgotten, so that the end-of-test check does not repeat it.
        """
        records, self.server_errors.records = self.server_errors.records, []
        found, self.problems.found = self.problems.found, []
        message = []
        if found:
            message.append("Problems in the browser:\n  " + "\n  ".join(found))
        if records:
            message.append("The service logged errors:\n" + "\n".join(records))
        if message:
            pytest.fail("\n".join(message), pytrace=False)

    # -- actions ---------------------------------------------------------------------------

    def goto(self, path: str) -> Page:
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
        self.check()
        return self.page

    def login(self, password: str = DEMO_PASSWORD) -> BrowserUser:
        page = self.goto("/login")
        page.get_by_label("Tên đăng nhập").fill(self.username)
        page.get_by_label("Mật khẩu").fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Đăng nhập").click()
        whoami = page.get_by_test_id("whoami")
        whoami.wait_for()
        assert "Đăng nhập" not in page.title(), f"{self.username} could not sign in"
        self.check()
        return self

    def submit(self, button) -> Page:
        """Click a submit button and wait for the page the form leads to."""
        with self.page.expect_navigation():
            button.click()
        self.page.wait_for_load_state("load")
        self.check()
        return self.page

    def download(self, link) -> tuple[str, bytes]:
        """Click a link to an attachment: its suggested file name and its bytes.

        Chromium reports the navigation that turned into a download as aborted; that one
        request is expected.
        """
        with self.problems.expecting(r"request failed: GET .* net::ERR_ABORTED"):
            with self.page.expect_download() as info:
                link.click()
            download = info.value
            data = download.path().read_bytes()
        self.check()
        return download.suggested_filename, data

    def screenshot(self, name: str, locator=None) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        if locator is None:
            self.page.screenshot(path=str(path), full_page=True)
        else:
            locator.screenshot(path=str(path))
        return path

    def close(self) -> None:
        self.context.close()
