"""A flood through the JSON API from a venue's shared address, against the real demo
with its rate limits on: the flooder is slowed, and a real reporter behind the same
address still files a report through the web form.

The load stays bounded: loopback only, 300 requests from 4 threads, 20 s at most."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.system.http import Session

pytestmark = pytest.mark.system

FLOOD = 300
DEADLINE = 20.0  # seconds: the flood stops here, whatever it reached
RECEIPT = re.compile(r'<p class="receipt" id="receipt">([0-9A-Z-]+)</p>')


def _flood(base_url: str) -> list[int]:
    """FLOOD reports through the API from one address, as fast as 4 clients go."""
    stop_at = time.monotonic() + DEADLINE

    def one(n: int) -> int | None:
        if time.monotonic() > stop_at:
            return None
        answer = Session(base_url).request(
            "POST", "/api/v1/events/pycon-demo/reports", json_body={"what_happened": f"junk {n}"}
        )
        return answer.status

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, range(FLOOD)))


def test_an_api_flood_does_not_lock_the_form_out_for_others_at_that_address(rate_limited_demo):
    started = time.monotonic()
    answers = _flood(rate_limited_demo.base_url)
    took = time.monotonic() - started
    assert None not in answers, f"only {FLOOD - answers.count(None)} requests in {took:.1f}s"
    assert set(answers) <= {201, 429}, sorted(set(answers))
    # The flooder is slowed: its budget filed reports, the rest was refused.
    assert answers.count(201) >= 100, answers.count(201)
    assert answers.count(429) >= 100, answers.count(429)

    # A real reporter at the same address loads the form and sends it.
    reporter = Session(rate_limited_demo.base_url)
    filed = reporter.post_form(
        "/e/pycon-demo/report/",
        {"what_happened": "Someone kept following me between the talks.", "danger_now": "no"},
    )
    assert filed.status == 200, filed.text[:500]
    receipt = RECEIPT.search(filed.text)
    assert receipt, "no receipt on the page"
    followup = reporter.post_form("/receipt/", {"receipt": receipt.group(1)})
    assert followup.status == 200
    assert "Someone kept following me between the talks." in followup.text

    # And the flood is still held back afterwards.
    again = Session(rate_limited_demo.base_url).request(
        "POST", "/api/v1/events/pycon-demo/reports", json_body={"what_happened": "more junk"}
    )
    assert again.status == 429
