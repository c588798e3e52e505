"""axe-core on every page Ombud serves (``tests/browser/pages.py``), empty and with
form errors, in English and in Arabic (right to left), then once more in English in
dark mode: WCAG 2.2 AA, 0 violations of any impact.

One demo, one signed-in context per role, every visit in order; the test fails
once, listing everything found on every page. A page with a form whose mistakes
no visit shows fails too: the error state is where people most need the page.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.template.loader import render_to_string
from django.utils import translation
from playwright.sync_api import Page

from tests.browser.helpers import PHONE
from tests.browser.pages import NO_ERROR_STATE, VISITS, with_error_state
from tests.browser.visits import Site

pytestmark = pytest.mark.browser

AXE = Axe()  # bundles axe.min.js: nothing is fetched
# axe's defaults, plus the WCAG 2.2 AA rule it leaves off (2.5.8, target size).
FULL = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}
# What dark mode can change: colours.
COLOURS = {
    "resultTypes": ["violations"],
    "runOnly": {"type": "rule", "values": ["color-contrast", "link-in-text-block"]},
}
# A form with a field a person types into or chooses in, outside the page's header.
_FIELDS = "main form :is(textarea, select, input:not([type=hidden],[type=submit],[type=button]))"


def violations(page: Page, options=None) -> list[str]:
    """Every axe violation on the page: rule, impact, element and why."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.axe_script)
    results = page.evaluate("options => axe.run(document, options)", options or FULL)
    found = []
    for rule in results["violations"]:
        for node in rule["nodes"]:
            why = " ".join(node.get("failureSummary", "").split())[:240]
            found.append(f"{rule['id']} ({rule['impact']}) {node['target']}: {why}")
    return found


@pytest.fixture(scope="module")
def site(browser, module_demo_server, module_mail_sink):
    site = Site(
        browser, module_demo_server, module_mail_sink, viewport=PHONE, init_script=AXE.axe_script
    )
    site.build_world()
    yield site
    site.close()


def test_every_page_has_no_axe_violations(site):
    found: dict[str, list[str]] = {}
    unchecked_errors = with_error_state() | set(NO_ERROR_STATE)
    for visit in VISITS:
        for language in visit.languages:
            page, problems = site.open(visit, language)
            where = f"{visit.label} {language}"
            found[where] = [f"not reached: {problem}" for problem in problems]
            found[where] += violations(page)
            if language != "en":
                continue
            page.emulate_media(color_scheme="dark")
            found[f"{where} dark"] = violations(page, COLOURS)
            page.emulate_media(color_scheme="light")
            if visit.empty and visit.name not in unchecked_errors and page.locator(_FIELDS).count():
                found[where].append("a form, but no visit shows it with errors (pages.py)")
    found.update(_server_error_page(site))
    failed = {where: rules for where, rules in found.items() if rules}
    assert not failed, f"axe violations on {len(failed)} of {len(found)} pages:\n" + "\n".join(
        f"{where}\n  " + "\n  ".join(rules) for where, rules in failed.items()
    )


def _server_error_page(site) -> dict:
    """The 500 page cannot be reached in the demo: rendered here, from the same template,
    and served to the browser as the server would."""
    page = site.page(None)
    found = {}
    for language in ("en", "ar"):
        with translation.override(language):
            html = render_to_string("errors/500.html")
        url = f"{site.base}/server-error-{language}/"

        def serve(route, _request, html=str(html)):
            route.fulfill(status=500, body=html)

        page.route(url, serve)
        page.goto(url)
        found[f"errors/500.html {language}"] = violations(page)
        if page.locator("html").get_attribute("lang") != language:
            found[f"errors/500.html {language}"].append("not reached: <html lang> is wrong")
        if language == "en":
            page.emulate_media(color_scheme="dark")
            found["errors/500.html en dark"] = violations(page, COLOURS)
            page.emulate_media(color_scheme="light")
        page.unroute(url)
    return found
