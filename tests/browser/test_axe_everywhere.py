"""axe-core on every page Ombud serves (``tests/browser/pages.py``), empty and with
form errors, in English and in Arabic (right to left), then once more in English in
dark mode: WCAG 2.2 AA, 0 violations of any impact. And on every page showing a
form's mistakes: a summary at the top linking to each field, each error tied to its
field, and nothing typed lost (WCAG 3.3.1, 3.3.3, 1.3.1).

One demo, one signed-in context per role, every visit made once (``walk``); each
test then fails once, listing what it found on every page. A page with a form whose
mistakes no visit shows fails too: the error state is where people most need it.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.template.loader import render_to_string
from django.utils import translation
from playwright.sync_api import Page

from tests.browser.helpers import PHONE
from tests.browser.pages import NO_ERROR_STATE, VISITS, Submit, Visit, with_error_state
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

# A page showing a form's mistakes, as WCAG 3.3.1 and the GOV.UK pattern want it.
_FORM_ERRORS = """([typed, errors]) => {
  const main = document.querySelector("main");
  const problems = new Set();
  const invalid = errors ? [...main.querySelectorAll("[aria-invalid=true]")] : [];
  const name = (el) => el.name || el.id || el.tagName.toLowerCase();
  // Tied: each field marked invalid is described by its error message.
  for (const field of invalid) {
    const holder = field.closest("fieldset[aria-describedby]");
    const ids = `${field.getAttribute("aria-describedby") || ""} `
      + `${holder ? holder.getAttribute("aria-describedby") : ""}`;
    const described = ids.split(/\\s+/).filter(Boolean).map((id) => document.getElementById(id));
    if (!described.some((el) => el && el.matches(".errorlist") && el.textContent.trim())) {
      problems.add(`${name(field)}: its error is not tied to it (aria-describedby)`);
    }
  }
  // And each field's error list belongs to a field marked invalid.
  for (const list of main.querySelectorAll(".errorlist[id]")) {
    const owner = main.querySelector(`[aria-describedby~="${list.id}"]`);
    const text = list.textContent.trim().slice(0, 60);
    if (!owner) problems.add(`the error "${text}" is tied to no field`);
  }
  // Summarised: at the top, before the first field, a link to each field in error.
  const first = main.querySelector("input:not([type=hidden]), select, textarea");
  const summary = [...main.querySelectorAll(".error-summary, [role=alert]")].find(
    (el) => !first || el.compareDocumentPosition(first) & Node.DOCUMENT_POSITION_FOLLOWING);
  if (!errors) {
    // Only what was typed is checked (below).
  } else if (!summary) {
    problems.add("no error summary above the form");
  } else {
    for (const field of invalid) {
      // A group of radios or checkboxes: the link goes to its first box.
      const scope = field.form || main;
      const target = scope.querySelector(`[name="${CSS.escape(field.name)}"]`) || field;
      if (!summary.querySelector(`a[href="#${CSS.escape(target.id)}"]`)) {
        problems.add(`the summary does not link to ${name(field)}`);
      }
    }
  }
  if (errors && summary && !invalid.length && !summary.textContent.trim()) {
    problems.add("the error summary says nothing");
  }
  // Kept: what was typed is still there to correct (passwords are never sent back).
  for (const [fieldName, value] of Object.entries(typed)) {
    const field = main.querySelector(`[name="${CSS.escape(fieldName)}"]`);
    if (field && ["password", "file", "hidden"].includes(field.type)) continue;
    if (field && field.tagName === "SELECT" && ![...field.options].some((o) => o.value === value)) {
      continue;  // a choice the page does not offer cannot be shown again
    }
    if (!field || field.value !== value) problems.add(`${fieldName}: what was typed is lost`);
  }
  return [...problems];
}"""


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


def _typed(visit: Visit) -> dict:
    """The text typed into the form the visit sent last."""
    sent = [step for step in visit.steps if isinstance(step, Submit)]
    if not sent:
        return {}
    return {k: v for k, v in sent[-1].fill.items() if isinstance(v, str) and v}


@pytest.fixture(scope="module")
def walk(site) -> dict[str, dict[str, list[str]]]:
    """Every visit made once: what each check found, by check and by page."""
    found: dict[str, dict[str, list[str]]] = {"reach": {}, "axe": {}, "dark": {}, "forms": {}}
    unchecked_errors = with_error_state() | set(NO_ERROR_STATE)
    for visit in VISITS:
        for language in visit.languages:
            page, problems = site.open(visit, language)
            where = f"{visit.label} {language}"
            found["reach"][where] = problems
            found["axe"][where] = violations(page)
            if (visit.errors or visit.resend) and isinstance(visit.steps[-1], Submit):
                found["forms"][where] = page.evaluate(_FORM_ERRORS, [_typed(visit), visit.errors])
            if language != "en":
                continue
            # The same page in dark mode (prefers-color-scheme), as a dark-mode context
            # would load it: no second sign-in, no second sending of a form.
            page.emulate_media(color_scheme="dark")
            found["dark"][where] = violations(page, COLOURS)
            page.emulate_media(color_scheme="light")
            if visit.empty and visit.name not in unchecked_errors and page.locator(_FIELDS).count():
                problems.append("a form, but no visit shows it with errors (pages.py)")
    for check, pages in _server_error_page(site).items():
        found[check].update(pages)
    return found


def _report(found: dict[str, list[str]], what: str) -> str:
    failed = {where: items for where, items in found.items() if items}
    return f"{what} on {len(failed)} of {len(found)} pages:\n" + "\n".join(
        f"{where}\n  " + "\n  ".join(items) for where, items in failed.items()
    )


def test_every_visit_reaches_its_page(walk):
    assert not any(walk["reach"].values()), _report(walk["reach"], "not reached")


def test_no_axe_violations_in_english_and_arabic(walk):
    assert not any(walk["axe"].values()), _report(walk["axe"], "axe violations")


def test_no_contrast_violations_in_dark_mode(walk):
    assert not any(walk["dark"].values()), _report(walk["dark"], "axe violations in dark mode")


def test_form_errors_are_summarised_tied_to_their_fields_and_keep_what_was_typed(walk):
    assert walk["forms"], "no visit shows a form with errors"
    assert not any(walk["forms"].values()), _report(walk["forms"], "form errors shown badly")


def _server_error_page(site) -> dict:
    """The 500 page cannot be reached in the demo: rendered here, from the same template,
    and served to the browser as the server would."""
    page = site.page(None)
    found = {"reach": {}, "axe": {}, "dark": {}}
    for language in ("en", "ar"):
        with translation.override(language):
            html = render_to_string("errors/500.html")
        url = f"{site.base}/server-error-{language}/"

        def serve(route, _request, html=str(html)):
            route.fulfill(status=500, body=html)

        page.route(url, serve)
        page.goto(url)
        where = f"errors/500.html {language}"
        found["axe"][where] = violations(page)
        lang = page.locator("html").get_attribute("lang")
        found["reach"][where] = [] if lang == language else [f'<html lang="{lang}">']
        if language == "en":
            page.emulate_media(color_scheme="dark")
            found["dark"][where] = violations(page, COLOURS)
            page.emulate_media(color_scheme="light")
        page.unroute(url)
    return found
