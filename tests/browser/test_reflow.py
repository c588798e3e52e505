"""Every page of ``tests/browser/pages.py``, as first loaded, on a 320 x 640 screen in
English and Arabic (WCAG 2.2 AA, 1.4.4, 1.4.10 and 2.5.8):

- targets: buttons, fields, summaries and links that are not part of a sentence are
  at least 24 x 24 CSS pixels at normal text size (a checkbox or radio counts with
  its label, which takes the click too);
- reflow: with the root font size at 200 %, nothing scrolls sideways, and no control
  is cut off — by the window, or by a box that clips or scrolls its content. A box
  that does scroll sideways (a wide table) must be reachable by keyboard and named.

Disclosures (``<details>``) are opened first, so what they hide is checked too.
"""

import pytest

from tests.browser.pages import VISITS
from tests.browser.visits import Site

pytestmark = pytest.mark.browser

SMALL_SCREEN = {"width": 320, "height": 640}
MIN_TARGET = 24

# Shared by both checks: which elements are controls, how to name one in a message.
_COMMON = """
const CONTROLS = "a[href], button, input:not([type=hidden]), select, textarea, summary";
const describe = (el) => {
  const text = (el.innerText || el.value || el.getAttribute("aria-label") || "")
    .replace(/\\s+/g, " ").trim();
  return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}`
    + `${el.name ? "[name=" + el.name + "]" : ""}`
    + `${el.className && typeof el.className === "string" ? "." + el.className.split(" ")[0] : ""}`
    + ` "${text.slice(0, 30)}"`;
};
const shown = (el) => {
  const box = el.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== "hidden";
};
document.querySelectorAll("details").forEach((details) => { details.open = true; });
"""

_TARGETS = (
    "(minimum) => {"
    + _COMMON
    + """
  // In a sentence: a link whose paragraph or list item has other words (2.5.8's exception).
  const inline = (el) => {
    const parent = el.parentElement;
    if (el.tagName !== "A" || !["P", "LI"].includes(parent.tagName)) return false;
    return parent.textContent.replace(el.textContent, "").trim() !== "";
  };
  const small = [];
  for (const el of document.querySelectorAll(CONTROLS)) {
    if (!shown(el) || inline(el)) continue;
    let box = el.getBoundingClientRect();
    const label = ["checkbox", "radio"].includes(el.type)
      && (el.closest("label") || (el.id && document.querySelector(`label[for="${el.id}"]`)));
    if (label) box = label.getBoundingClientRect();
    if (box.width < minimum - 0.5 || box.height < minimum - 0.5) {
      small.push(`target smaller than ${minimum}px: ${describe(el)} is `
        + `${box.width.toFixed(1)} × ${box.height.toFixed(1)}`);
    }
  }
  return small;
}"""
)

_REFLOW = (
    "() => {"
    + _COMMON
    + """
  document.documentElement.style.fontSize = "200%";
  const width = document.documentElement.clientWidth;
  const problems = [];
  const wide = document.documentElement.scrollWidth;
  if (wide > width) problems.push(`the page scrolls sideways: ${wide}px for ${width}px`);
  for (const el of document.querySelectorAll(CONTROLS)) {
    if (!shown(el)) continue;
    const box = el.getBoundingClientRect();
    const away = box.right <= 0 || box.left >= width;
    if (away && getComputedStyle(el).position === "absolute") continue;  // a skip link, unfocused
    let clipped = false;
    for (let box2 = el.parentElement; box2 && box2 !== document.body; box2 = box2.parentElement) {
      if (getComputedStyle(box2).overflowX === "visible") continue;
      const inside = box2.getBoundingClientRect();
      if (box.left < inside.left - 0.5 || box.right > inside.right + 0.5) {
        problems.push(`cut off inside ${describe(box2)}: ${describe(el)}`);
        clipped = true;
        break;
      }
    }
    if (!clipped && (box.left < -0.5 || box.right > width + 0.5)) {
      problems.push(`cut off by the window: ${describe(el)} spans ${box.left.toFixed(0)}`
        + `–${box.right.toFixed(0)}px`);
    }
  }
  for (const el of document.querySelectorAll("body *")) {
    const overflow = getComputedStyle(el).overflowX;
    if (!["auto", "scroll"].includes(overflow) || el.scrollWidth <= el.clientWidth + 1) continue;
    const named = el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (el.tabIndex < 0 || !named) {
      problems.push(`scrolls sideways but is not focusable and named: ${describe(el)}`);
    }
  }
  return problems;
}"""
)


@pytest.fixture(scope="module")
def site(browser, module_demo_server, module_mail_sink):
    site = Site(browser, module_demo_server, module_mail_sink, viewport=SMALL_SCREEN)
    site.build_world()
    yield site
    site.close()


def test_every_page_reflows_at_320px_with_200_percent_text_and_has_large_targets(site):
    found = {}
    for visit in VISITS:
        if not visit.empty:
            continue
        for language in visit.languages:
            page, problems = site.open(visit, language)
            found[f"{visit.label} {language}"] = [
                *(f"not reached: {problem}" for problem in problems),
                *page.evaluate(_TARGETS, MIN_TARGET),
                *page.evaluate(_REFLOW),
            ]
    failed = {where: found for where, found in found.items() if found}
    assert not failed, f"problems on {len(failed)} of {len(found)} pages:\n" + "\n".join(
        f"{where}\n  " + "\n  ".join(problems) for where, problems in failed.items()
    )
