"""The whole reporter walk in each of Ombud's seven languages, as a phone without
JavaScript sees it: event page, report, receipt, follow-up. The page speaks the
language (its own catalogue's words are on screen, not the English), and `lang`
and `dir` say so."""

import pytest
from django.conf import settings
from django.utils import translation
from playwright.sync_api import Page, expect

from tests.browser.helpers import EVENT, RECEIPT

pytestmark = pytest.mark.browser

PHONE_360 = {"width": 360, "height": 640}
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def _in(language: str, english: str) -> str:
    with translation.override(language):
        return translation.gettext(english)


def _speaks(page: Page, language: str) -> None:
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language)
    expect(html).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_360["width"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_reporter_walk_in_every_language(new_context, module_demo_server, language):
    base = module_demo_server.base_url
    page = new_context(javascript=False, viewport=PHONE_360, language=language).new_page()

    page.goto(f"{base}/e/{EVENT}/")
    _speaks(page, language)
    heading = _in(language, "Code of conduct and how to report")
    assert language == "en" or heading != "Code of conduct and how to report"
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator("#quick-exit")).to_have_text(_in(language, "Leave this page"))

    page.get_by_role("link", name=_in(language, "Write a report"), exact=True).click()
    _speaks(page, language)
    expect(page.get_by_role("heading", level=1)).to_have_text(_in(language, "Report an incident"))
    page.locator("textarea[name=what_happened]").fill(f"LANG-{language}: he followed me.")
    page.get_by_role("button", name=_in(language, "Send report")).click()

    _speaks(page, language)
    receipt = page.locator("#receipt").inner_text().strip()
    assert RECEIPT.match(receipt), receipt

    page.goto(f"{base}/receipt/")
    page.locator("input[name=receipt]").fill(receipt)
    page.get_by_role("button", name=_in(language, "Open my report")).click()
    _speaks(page, language)
    expect(page.get_by_role("heading", level=1)).to_have_text(_in(language, "Your report"))
    # What they wrote is there (folded under its own heading), in the direction it reads.
    assert f"LANG-{language}: he followed me." in page.content()
