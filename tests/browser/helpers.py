"""What the browser tests and the screenshot script share: how to start Debian's
Chromium, the demo's people, and the few steps every scenario repeats."""

import json
import re
import urllib.request

from playwright.sync_api import Browser, Page, Playwright, expect

from tests.live import DEMO_PASSWORD, demo_otp

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}

EVENT = "pycon-demo"
RECEIPT = re.compile(r"^(?:[0-9A-Z]{4}-){6}[0-9A-Z]{4}$")
NEW_REPORT_SUBJECT = "Ombud: a new report needs attention"
URGENT_SUBJECT = "Ombud: URGENT report — someone may be in danger now"
ADDED_SUBJECT = "Ombud: a reporter added information"


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium; nothing is downloaded and nothing leaves loopback."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def email(username: str) -> str:
    return f"{username}@pycon-demo.example"


def case_link(base_url: str) -> re.Pattern:
    return re.compile(
        re.escape(base_url) + r"/staff/cases/([0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})/"
    )


def sign_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Fill in the sign-in page the browser is on and submit it, then the second
    factor when the role asks for one (as the demo's responders and leads do)."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff sign-in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():  # the form's POST, whatever page it answers with
        page.get_by_role("button", name="Sign in").click()
    if page.get_by_role("heading", level=1, name="Confirm it is you").count():
        page.get_by_label("Code").fill(demo_otp())
        page.get_by_role("button", name="Continue").click()


def declare_no_conflict(page: Page) -> None:
    """On a case page that asks first, say there is no conflict of interest."""
    expect(page.get_by_role("heading", name="Before you open this case")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("What happened")
    page.get_by_role("button", name="No conflict of interest: open the case").click()
    expect(page.get_by_role("status")).to_contain_text("The case is open to you.")


def open_section(page: Page, name: str) -> None:
    """Unfold one of the case page's folded sections by its heading, as a person taps it."""
    details = page.locator("details").filter(
        has=page.locator("summary").get_by_role("heading", name=name, exact=True)
    )
    if details.get_attribute("open") is None:
        details.locator("summary").first.click()
    expect(details).to_have_attribute("open", "")


def sign_in_at(page: Page, base_url: str, username: str) -> None:
    page.goto(base_url + "/staff/login/")
    sign_in(page, username)
    expect(page).to_have_url(base_url + "/staff/")


def open_report_part(page: Page, summary: str) -> None:
    """Unfold one of the report form's optional parts (a <details>), if it is folded."""
    section = page.locator("details", has=page.locator("summary", has_text=summary))
    if section.get_attribute("open") is None:
        section.locator("summary").click()


def send_report(page: Page, base_url: str, what_happened: str, *, who: str = "") -> str:
    """Write a report through the public form; return the receipt shown."""
    page.goto(f"{base_url}/e/{EVENT}/report/")
    page.get_by_label("What happened?", exact=True).fill(what_happened)
    if who:
        open_report_part(page, "Who did it")
        page.get_by_label("Who did it?", exact=True).fill(who)
    page.get_by_role("button", name="Send report").click()
    receipt = page.locator("#receipt")
    expect(receipt).to_have_text(RECEIPT)
    return receipt.inner_text().strip()


def _json(url: str, payload=None, headers=None) -> dict:
    request = urllib.request.Request(
        url,
        data=None if payload is None else json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="GET" if payload is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _token(base_url: str, username: str) -> str:
    credentials = {"username": username, "password": DEMO_PASSWORD, "otp": demo_otp()}
    return _json(f"{base_url}/api/v1/auth/token", credentials)["token"]


def file_report(base_url: str, **fields) -> tuple[str, str]:
    """File a report through the public API: its receipt and its case id (from the
    chair's list of reports, which needs no declaration)."""
    created = _json(f"{base_url}/api/v1/events/{EVENT}/reports", fields)
    reports = _json(
        f"{base_url}/api/v1/reports",
        headers={"Authorization": f"Bearer {_token(base_url, 'chair')}"},
    )
    found = next(r for r in reports if r["id"] == created["report_id"])
    return created["receipt"], str(found["case_id"])


def file_case(base_url: str, **fields) -> str:
    """File a report through the public API; return its case id (as the chair sees it)."""
    return file_report(base_url, **fields)[1]


def alerts_queued(base_url: str, case_id: str) -> list[int]:
    """How many people each alert about the case went to, from its timeline (API)."""
    # Read as the coordinator, whom no browser test signs in as: declaring here leaves
    # the chair's own first opening of the case to the page.
    auth = {"Authorization": f"Bearer {_token(base_url, 'coordinator')}"}
    _json(f"{base_url}/api/v1/cases/{case_id}/declaration", {}, headers=auth)
    case = _json(f"{base_url}/api/v1/cases/{case_id}", headers=auth)
    timeline = case["timeline"]
    return [entry["detail"]["count"] for entry in timeline if entry["kind"] == "alert_queued"]
