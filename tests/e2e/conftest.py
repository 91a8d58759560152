"""Browser fixtures: the app on a real server in a thread, Debian's chromium through Playwright."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from connector.bootstrap import Services

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def portal_app(services: Services) -> Flask:
    """The whole app, as gunicorn serves it."""
    from connector.app import create_app

    return create_app(services.settings, services)


@pytest.fixture
def live_url(services: Services) -> Iterator[str]:
    app = portal_app(services)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    # A missing browser is a failure, never a skip: these tests are the portal's proof in a browser.
    if not CHROMIUM.exists():
        pytest.fail(f"chromium is not installed at {CHROMIUM}; install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(autouse=True)
def no_content_security_policy_violation(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every page these tests open runs under the app's CSP: anything it refuses fails the test."""
    if "browser" not in request.fixturenames:
        yield
        return
    browser = request.getfixturevalue("browser")
    refused: list[str] = []
    original = browser.new_context

    def new_context(*args: Any, **kwargs: Any) -> Any:
        context = original(*args, **kwargs)
        context.on("console", lambda message: refused.append(message.text)
                   if "Content Security Policy" in message.text else None)
        return context

    browser.new_context = new_context
    try:
        yield
    finally:
        browser.new_context = original
    assert refused == []
