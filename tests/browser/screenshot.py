"""Screenshot the report form as a phone sees it, for the README.

    .venv/bin/python -m tests.browser.screenshot [--also DIR]

Starts its own `ombud demo` (with an SMTP sink) in a temporary directory and writes
docs/screenshots/report-page.png: 390 px wide, full page, JavaScript disabled; and
report-page-ar.png and report-page-ja.png: the first screen a 360x640 phone shows
of the form in Arabic and in Japanese (the fonts come from Debian's fonts-noto-core
and fonts-noto-cjk, which scripts/test.sh installs).
With --also DIR, it also files a report and writes the receipt page, the
reporter's follow-up page and the chair's case page into DIR, for review.
The test suite does not depend on this script.
"""

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.helpers import EVENT, PHONE, launch, send_report, sign_in_at
from tests.live import MailSink, OmbudDemo

REPORT_PAGE = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "report-page.png"


def _review_pages(browser, base_url: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    reporter = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = reporter.new_page()
    receipt = send_report(
        page,
        base_url,
        "After the keynote a man kept touching my shoulder after I said stop, and "
        "then followed me to the hallway by room B.",
        who="Jonas Berg",
    )
    page.screenshot(path=folder / "receipt-page.png", full_page=True)

    chair = browser.new_context(java_script_enabled=False, viewport=PHONE)
    staff = chair.new_page()
    sign_in_at(staff, base_url, "chair")
    staff.locator("a.codename").first.click()
    staff.get_by_label("Message to the reporter", exact=True).fill(
        "Thank you for telling us. Are you safe now? Someone from the team is nearby."
    )
    staff.get_by_role("button", name="Send to the reporter").click()
    staff.screenshot(path=folder / "case-page.png", full_page=True)

    page.goto(base_url + "/receipt/")
    page.get_by_label("Your receipt").fill(receipt)
    page.get_by_role("button", name="Open my report").click()
    page.screenshot(path=folder / "follow-up-page.png", full_page=True)
    chair.close()
    reporter.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--also", type=Path, help="also write review screenshots here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="ombud-screenshot-") as scratch:
        sink = MailSink().start()
        server = OmbudDemo(Path(scratch) / "data", mail=sink).start()
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                context = browser.new_context(java_script_enabled=False, viewport=PHONE)
                page = context.new_page()
                page.goto(f"{server.base_url}/e/{EVENT}/report/")
                REPORT_PAGE.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=REPORT_PAGE, full_page=True)
                print(f"wrote {REPORT_PAGE}")
                for language in ("ar", "ja"):
                    phone = browser.new_context(
                        java_script_enabled=False,
                        viewport={"width": 360, "height": 640},
                        extra_http_headers={"Accept-Language": language},
                    )
                    shot = REPORT_PAGE.with_name(f"report-page-{language}.png")
                    phone.new_page().goto(f"{server.base_url}/e/{EVENT}/report/")
                    phone.pages[0].screenshot(path=shot)
                    print(f"wrote {shot}")
                    phone.close()
                if args.also:
                    _review_pages(browser, server.base_url, args.also)
                    print(f"wrote review screenshots to {args.also}")
                browser.close()
        finally:
            server.stop()
            sink.stop()


if __name__ == "__main__":
    main()
