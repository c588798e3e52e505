"""Keyboard only: from the event page to the receipt with Tab, Shift-Tab, Enter, Space
and the arrow keys, never the mouse. The first Tab reaches the skip link, which
moves focus to the content; focus then moves in reading order and can always be
seen (WCAG 2.4.1, 2.4.3, 2.4.7, 2.1.1)."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import EVENT, RECEIPT

pytestmark = pytest.mark.browser

MAX_TABS = 80  # a page that needs more to reach its main action has a problem anyway

# What the focused element is, where it is, and whether its focus can be seen.
_FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const all = [...document.querySelectorAll("*")];
  const text = (el.innerText || el.value || "").trim().slice(0, 40);
  return {
    what: `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}`
      + `${el.name ? "[name=" + el.name + "]" : ""} ${text}`,
    order: all.indexOf(el),
    top: box.top + scrollY,
    bottom: box.bottom + scrollY,
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
    shadow: style.boxShadow !== "none" && style.boxShadow !== "",
    visible: box.width > 0 && box.height > 0,
  };
}"""


class Walk:
    """Tab through a page, recording each stop and what is wrong with it."""

    def __init__(self, page: Page):
        self.page = page
        self.stops: list[dict] = []
        self.problems: list[str] = []

    def focused(self) -> dict:
        return self.page.evaluate(_FOCUSED)

    def press(self, key: str) -> dict:
        self.page.keyboard.press(key)
        stop = self.focused()
        if not stop["visible"]:
            self.problems.append(f"{key} focused something not shown: {stop['what']}")
        elif not (stop["outline"] or stop["shadow"]):
            self.problems.append(f"no visible focus indicator on {stop['what']}")
        if key == "Tab" and self.stops:
            previous = self.stops[-1]
            if stop["order"] <= previous["order"]:
                self.problems.append(f"{stop['what']} comes before {previous['what']} in the page")
            if stop["bottom"] <= previous["top"]:
                self.problems.append(f"{stop['what']} is above {previous['what']}: focus went up")
        self.stops.append(stop)
        return stop

    def tab_to(self, selector: str) -> None:
        """Tab until the element ``selector`` has focus."""
        target = self.page.locator(selector).first
        for _ in range(MAX_TABS):
            self.press("Tab")
            if target.evaluate("el => el === document.activeElement"):
                return
        visited = " → ".join(stop["what"] for stop in self.stops)
        pytest.fail(f"{MAX_TABS} Tabs did not reach {selector}: {visited}")

    def restart(self) -> None:
        """A new page: its own order."""
        self.stops = []


def _skip_to_content(walk: Walk) -> None:
    first = walk.press("Tab")
    assert walk.page.evaluate("document.activeElement.getAttribute('href')") == "#main", (
        f"the first Tab reached {first['what']}, not the skip link"
    )
    expect(walk.page.locator("a[href='#main']")).to_be_in_viewport()
    walk.page.keyboard.press("Enter")
    assert walk.page.evaluate("document.activeElement.id") == "main", (
        "the skip link did not move focus to the content"
    )
    walk.restart()


def test_the_report_flow_by_keyboard_alone(new_context, module_demo_server):
    base = module_demo_server.base_url
    page = new_context(javascript=True).new_page()
    walk = Walk(page)

    page.goto(f"{base}/e/{EVENT}/")
    _skip_to_content(walk)
    walk.tab_to(f"main a[href$='/e/{EVENT}/report/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/e/{EVENT}/report/")

    walk.restart()
    _skip_to_content(walk)
    walk.tab_to("input[name=danger_now]")
    page.keyboard.press("Space")
    expect(page.locator("input[name=danger_now]:checked")).to_have_count(1)
    first_answer = page.locator("input[name=danger_now]:checked").get_attribute("value")
    page.keyboard.press("ArrowDown")
    chosen = page.locator("input[name=danger_now]:checked")
    expect(chosen).to_have_count(1)
    assert chosen.get_attribute("value") != first_answer, "the arrow key did not change the answer"

    walk.tab_to("textarea[name=what_happened]")
    page.keyboard.type("What happened? KEYBOARD-1: he blocked the door.")
    expect(page.locator("textarea[name=what_happened]")).to_have_value(re.compile("KEYBOARD-1"))

    send = "main form:has([name=what_happened]) button[type=submit]"
    walk.tab_to(send)
    # Back one stop and forward again: Shift-Tab retraces the same order.
    before = walk.stops[-2]["what"]
    assert walk.press("Shift+Tab")["what"] == before
    del walk.stops[-2:]  # back where it was before the button
    walk.press("Tab")
    assert page.locator(send).evaluate("el => el === document.activeElement")
    assert not walk.problems, "\n".join(walk.problems)

    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#receipt")).to_have_text(RECEIPT)
    walk.restart()
    _skip_to_content(walk)
    assert not walk.problems, "\n".join(walk.problems)
