"""One Chromium per test session; a demo server per module for tests that do not
count e-mails (those use the function-scoped `sqlite_demo_server`)."""

import pytest
from playwright.sync_api import sync_playwright

from tests.browser.helpers import PHONE, launch
from tests.live import MailSink, OmbudDemo


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser):
    """Make a fresh browser context (own cookies, no cache), phone-sized by default;
    every context made is closed after the test."""
    made = []

    def make(*, javascript: bool = True, viewport=None, language: str = ""):
        headers = {"Accept-Language": language} if language else None
        context = browser.new_context(
            java_script_enabled=javascript, viewport=viewport or PHONE, extra_http_headers=headers
        )
        context.set_default_timeout(10_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture(scope="module")
def module_mail_sink():
    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def module_demo_server(tmp_path_factory, module_mail_sink):
    """`ombud demo` shared by one module's tests, which must not depend on each other."""
    server = OmbudDemo(tmp_path_factory.mktemp("demo") / "data", mail=module_mail_sink).start()
    yield server
    server.stop()
