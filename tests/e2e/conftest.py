"""Fixtures of the end-to-end tests: a live service and Chromium for the browser tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from service.app import create_app
from service.config import TestConfig
from tests.e2e.browser import BrowserUser, LiveServer, Problems, ServerErrors, launch_chromium


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def live_server(tmp_path: Path, sqlite_template: Path) -> Iterator[LiveServer]:
    """The real application, CSRF on, on a copy of the seeded SQLite file and a FileStore."""
    database = tmp_path / "live.sqlite3"
    shutil.copyfile(sqlite_template, database)
    app = create_app(TestConfig(tmp_path / "var", database_url=f"sqlite:///{database}"))
    app.config.update(WTF_CSRF_ENABLED=True)
    server = LiveServer(app).start()
    try:
        yield server
    finally:
        server.stop()
        app.extensions["tdkt"].engine.dispose()


@pytest.fixture
def browser_user(chromium: Browser, live_server: LiveServer) -> Iterator[
        Callable[[str], BrowserUser]]:
    """``browser_user("donvi1")`` signs a demo account in, in its own browser context.

    Each name gets one context for the whole test; asking again returns the same one.
    At the end, any problem not yet reported (console, CSP, page or service error) fails.
    """
    problems = Problems()
    users: dict[str, BrowserUser] = {}
    with ServerErrors().installed() as server_errors:

        def make(username: str) -> BrowserUser:
            if username not in users:
                users[username] = BrowserUser(chromium, live_server.url, username, problems,
                                              server_errors)
                users[username].login()
            return users[username]

        try:
            yield make
            for user in users.values():
                user.check()
        finally:
            for user in users.values():
                user.close()
