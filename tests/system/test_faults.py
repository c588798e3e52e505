"""Faults, with real processes: the mail server down, the server and the worker
killed with SIGKILL, two workers racing for the same alerts.

What must hold (DESIGN §5): a receipt shown means the report is committed; every
committed report's alerts are delivered in the end, at least once, and a resend
carries the same Message-ID, so duplicates are recognisable and few. Beyond a few
alerts per person at once, the rest reach them in one digest when their alert window
closes (notify.coalesce, docs/floods.md): a report's alert is delivered when it went
out on its own or was counted in a delivered digest. The windows are a second here
(OMBUD_ALERT_WINDOW), so the tests need not wait a minute for them.
"""

import collections
import datetime
import http.client
import json
import os
import random
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

from tests import factories
from tests.live import (
    DEMO_PASSWORD,
    FreshPostgresDatabase,
    MailSink,
    OmbudSite,
    free_port,
    postgres_admin_url,
)

pytestmark = pytest.mark.system

# The demo's on-duty leads and responders: each gets one e-mail per new report.
TEAM = {
    f"{name}@pycon-demo.example" for name in ("chair", "coordinator", "responder1", "responder2")
}
NEW_REPORT = "Ombud: a new report needs attention"
DIGEST = "Ombud: several alerts in one"
DIGEST_COUNT = re.compile(r"(\d+) new reports?")
# Seconds of a person's alert window (OMBUD_ALERT_WINDOW; 60 by default).
WINDOW = 1
CASE_LINK = re.compile(r"/staff/cases/([0-9a-f-]{36})/")
# The worker's longest wait between two tries of one alert (OMBUD_WORKER_MAX_BACKOFF;
# 120 s by default), kept short so a test can wait for a retry.
MAX_BACKOFF = 5
# How long a claimed alert stays claimed (OMBUD_WORKER_LEASE; 300 s by default): a
# killed worker's batch is retried after it, so a test can wait for it too.
LEASE = 10


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request):
    """Empty for the embedded SQLite database; otherwise a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield ""
        return
    admin_url = postgres_admin_url()
    if admin_url is None:
        pytest.skip("no PostgreSQL server given (OMBUD_TEST_POSTGRES_URL)")
    with FreshPostgresDatabase(admin_url) as url:
        yield url


@pytest.fixture
def new_site(tmp_path, database_url):
    """Migrated and seeded data and database; the test starts the processes it wants."""
    sites = []

    def make(email_url: str, **env) -> OmbudSite:
        env = {
            "OMBUD_DEMO_TOTP_SECRET": factories.TOTP_SECRET,
            "OMBUD_ALERT_WINDOW": str(WINDOW),
            **env,
        }
        site = OmbudSite(
            tmp_path / "data", email_url=email_url, database_url=database_url, env=env
        ).setup()
        sites.append(site)
        return site

    yield make
    for site in sites:
        site.stop()


def _request(url, *, payload=None, headers=None, timeout=10.0):
    body = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        url,
        data=body,
        headers={"Content-Type": "application/json", **(headers or {})},
        method="GET" if payload is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read())


def file_report(site, text: str) -> dict:
    status, created = _request(
        site.base_url + "/api/v1/events/pycon-demo/reports", payload={"what_happened": text}
    )
    assert status == 201
    return created


def receipt_status(site, receipt: str) -> int:
    try:
        return _request(site.base_url + "/api/v1/receipt", headers={"X-Receipt": receipt})[0]
    except urllib.error.HTTPError as error:
        return error.code


def case_of_each_report(site) -> dict:
    """report id -> case id of every report, as the chair sees them through the API."""
    _status, token = _request(
        site.base_url + "/api/v1/auth/token",
        payload={"username": "chair", "password": DEMO_PASSWORD, "otp": factories.otp()},
    )
    _status, reports = _request(
        site.base_url + "/api/v1/reports", headers={"Authorization": f"Bearer {token['token']}"}
    )
    assert len(reports) < 500, "the list is capped at 500: too many reports for this check"
    return {report["id"]: report["case_id"] for report in reports}


@dataclass(frozen=True)
class Alert:
    message_id: str
    to: str
    case_id: str


def new_report_alerts(sink: MailSink) -> list[Alert]:
    alerts = []
    for mail in sink.messages():
        message = mail.message
        if message["Subject"] != NEW_REPORT:
            continue
        (address,) = mail.envelope_to
        alerts.append(Alert(message["Message-ID"], address, CASE_LINK.search(mail.body).group(1)))
    return alerts


def digests(sink: MailSink) -> dict:
    """Message-ID -> (address, how many new reports it counts), each digest once."""
    found = {}
    for mail in sink.messages():
        if mail.message["Subject"] == DIGEST:
            (address,) = mail.envelope_to
            counted = sum(int(n) for n in DIGEST_COUNT.findall(mail.body))
            found[mail.message["Message-ID"]] = (address, counted)
    return found


def eventually(check, *, timeout: float, interval: float = 0.2, what: str):
    """Wait until ``check()`` returns something true, and return it."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(interval)


def all_sent(site, expected: int):
    """The outbox rows, once there are ``expected`` alerts (digests aside) and every
    row is sent, or merged into a digest that was: from then on nothing more goes out."""
    rows = site.outbox()
    alerts = [r for r in rows if r.kind != "digest"]
    done = all(r.state in ("sent", "merged") for r in rows)
    return rows if len(alerts) == expected and done else None


def unsent(site) -> list[str]:
    """The rows not sent yet, with their attempts and how long until they fall due."""
    now = datetime.datetime.now(datetime.UTC)
    found = []
    for row in site.outbox():
        if row.state not in ("sent", "merged"):
            due_in = (row.next_attempt_at - now).total_seconds()
            found.append(f"{row.state}, {row.attempts} attempts, due in {due_in:.0f}s")
    return found


def assert_each_case_alerted_the_team(sink: MailSink, case_ids, *, resent: int = 0) -> None:
    """Every case reached each of the four people on duty: an alert of its own (one
    outbox row, resends aside), or counted in one of their digests. ``resent``: how many
    more may be counted, when a worker killed after the mail server took an alert but
    before it recorded that sends it again (into a digest, if the person's window is full
    by then); without kills, exactly once."""
    alone = collections.defaultdict(set)
    for alert in new_report_alerts(sink):
        alone[alert.to].add(alert.case_id)
    counted = collections.Counter()
    for address, n in digests(sink).values():
        counted[address] += n
    for person in TEAM:
        assert alone[person] <= set(case_ids), person
        reached = len(alone[person]) + counted[person]
        assert len(case_ids) <= reached <= len(case_ids) + resent, person
    ids = collections.defaultdict(set)
    for alert in new_report_alerts(sink):
        ids[alert.case_id, alert.to].add(alert.message_id)
    assert all(len(found) == 1 for found in ids.values())


def test_alerts_queued_while_the_mail_server_is_down_all_arrive_once_it_is_back(new_site):
    sink = MailSink()
    port = free_port()  # nothing listens here until the sink starts on it
    site = new_site(f"smtp://127.0.0.1:{port}", OMBUD_WORKER_MAX_BACKOFF=str(MAX_BACKOFF))
    site.server().start()
    worker = site.worker().start()
    try:
        receipts = [file_report(site, f"report {n} during the outage") for n in range(50)]

        # The worker tries, fails, backs off and tries again: every alert failed twice.
        # Alerts beyond each person's few at once wait for their digest, which fails too.
        def failed_twice():
            rows = site.outbox()
            tried = [row for row in rows if row.state == "pending" and not row.held]
            alerts = [row for row in rows if row.kind != "digest"]
            waiting = len(tried) == len(rows) - sum(row.state == "merged" for row in rows)
            return len(alerts) == 200 and waiting and all(r.attempts >= 2 for r in tried) and rows

        rows = eventually(failed_twice, timeout=60, what="every alert tried twice")
        assert {row.state for row in rows} <= {"pending", "merged"}  # none given up on
        assert "mail server unavailable (ConnectionRefusedError)" in worker.log()

        sink.start(port)
        back = time.monotonic()
        # The longest wait is one back-off; the slack is for the sending itself.
        eventually(lambda: all_sent(site, 200), timeout=MAX_BACKOFF + 30, what="all sent")
        delivered_after = time.monotonic() - back
        alerts = new_report_alerts(sink)
    finally:
        sink.stop()

    for receipt in receipts:
        assert receipt_status(site, receipt["receipt"]) == 200
    cases = case_of_each_report(site)
    assert_each_case_alerted_the_team(sink, {cases[r["report_id"]] for r in receipts})
    # Nothing crashed and no connection broke mid-message: each message went out once.
    sent = [mail.message["Message-ID"] for mail in sink.messages()]
    assert len(alerts) + len(digests(sink)) == len(sent)
    assert max(collections.Counter(sent).values()) == 1
    print(
        f"outage: all 200 alerts delivered ({len(alerts)} on their own, the rest in"
        f" {len(digests(sink))} digests) {delivered_after:.1f}s after the mail server came back"
    )


class Reporter(threading.Thread):
    """Files reports one after another until the server is gone or ``limit`` are
    filed; keeps every receipt it was given."""

    def __init__(self, site: OmbudSite, label: str, limit: int):
        super().__init__(daemon=True)
        self.site, self.label, self.limit = site, label, limit
        self.receipts, self.failures, self.refusals = [], [], []

    def run(self):
        for n in range(self.limit):
            try:
                self.receipts.append(file_report(self.site, f"{self.label} report {n}"))
            except urllib.error.HTTPError as error:
                self.refusals.append(error.code)  # an answer, but no receipt: a bug
                return
            except (OSError, http.client.HTTPException) as error:
                self.failures.append(type(error).__name__)  # the server died on us
                return


# Each round kills the server and the worker once. A few rounds here; `make bench` runs
# this test with 20 (bench.crash sets OMBUD_TEST_CRASH_ROUNDS).
ROUNDS = int(os.environ.get("OMBUD_TEST_CRASH_ROUNDS", "4"))
REPORTS_PER_ROUND = 15


def test_killing_the_server_and_the_worker_loses_no_receipted_report_or_alert(
    new_site, mail_sink, database_url
):
    seed = random.randrange(2**32)
    print(f"crash test seed {seed}")
    rng = random.Random(seed)
    site = new_site(mail_sink.url, OMBUD_WORKER_LEASE=str(LEASE))
    server = site.server().start()
    worker = site.worker().start()
    receipts, failures, refusals = [], collections.Counter(), []
    started = time.monotonic()
    for round_ in range(ROUNDS):
        reporter = Reporter(site, f"round {round_}", REPORTS_PER_ROUND)
        round_start = time.monotonic()
        reporter.start()
        # Kill the server once the reporter has a few receipts, a moment into its
        # next request; kill the worker at any moment of the round.
        kill_server_after = rng.randrange(1, REPORTS_PER_ROUND - 2)
        kill_server_delay = rng.uniform(0, 0.03)
        kill_worker_at = round_start + rng.uniform(0, 0.8)
        while server.running or worker.running:
            if server.running and len(reporter.receipts) >= kill_server_after:
                time.sleep(kill_server_delay)
                server.kill()
            if worker.running and time.monotonic() >= kill_worker_at:
                worker.kill()
            if not reporter.is_alive() and server.running:
                server.kill()
            time.sleep(0.002)
        reporter.join(timeout=30)
        assert reporter.receipts, f"no receipt in round {round_}"  # the server came back
        receipts += reporter.receipts
        failures.update(reporter.failures)
        refusals += reporter.refusals
        server.start()
        worker.start()
    kills_over = time.monotonic() - started

    assert not refusals, f"error answers instead of receipts: {refusals}"
    assert "audit log OK" in site.command("audit", "verify").stdout  # no torn chain
    for receipt in receipts:
        assert receipt_status(site, receipt["receipt"]) == 200, receipt["report_id"]

    # Every committed report, receipted or not, alerts the team. A batch in flight
    # when the worker died is sent again once its lease runs out.
    cases = case_of_each_report(site)
    assert {r["report_id"] for r in receipts} <= set(cases)
    latest_due = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=LEASE + 1)
    held = [
        row
        for row in site.outbox()
        if row.state == "pending" and not row.held and row.next_attempt_at > latest_due
    ]
    assert not held, (
        f"claimed by a killed worker for longer than OMBUD_WORKER_LEASE: {unsent(site)}"
    )
    # The longest wait: a lease, or a flood's longest alert window (30 windows).
    wait = LEASE + 30 * WINDOW + 30
    try:
        eventually(lambda: all_sent(site, 4 * len(cases)), timeout=wait, what="all sent")
    except AssertionError:
        raise AssertionError(f"undelivered after {wait}s: {unsent(site)}") from None
    alerts = new_report_alerts(mail_sink)
    # At most a batch per kill is sent again (below, for alerts on their own).
    assert_each_case_alerted_the_team(mail_sink, set(cases.values()), resent=20 * ROUNDS)

    # A copy is sent again only when the worker died between the mail server
    # accepting it and the worker recording that: one resend per kill that hits
    # that window. Two kills hitting the same alert's windows is already rare.
    copies = collections.Counter(alert.message_id for alert in alerts)
    resent = collections.Counter(n for n in copies.values() if n > 1)
    print(
        f"crash test ({'PostgreSQL' if database_url else 'SQLite'}):"
        f" {ROUNDS} rounds in {kills_over:.0f}s, {len(receipts)} receipts,"
        f" {len(cases)} reports committed, {failures.total()} requests cut off"
        f" ({dict(failures)}), {len(alerts)} alerts for {len(copies)} messages;"
        f" copies: {dict(resent)}"
    )
    # Every alert may have gone into digests (the rounds are a flood), checked above.
    assert max(copies.values(), default=1) <= 3
    assert sum(n - 1 for n in copies.values()) <= 20 * ROUNDS  # at most a batch per kill


def test_two_workers_deliver_every_alert_exactly_once(new_site, mail_sink):
    site = new_site(mail_sink.url)
    site.server().start()
    workers = [site.worker("worker-a").start(), site.worker("worker-b").start()]

    reporters = [Reporter(site, f"reporter {n}", 10) for n in range(3)]
    for reporter in reporters:
        reporter.start()
    for reporter in reporters:
        reporter.join(timeout=60)
    receipts = [receipt for reporter in reporters for receipt in reporter.receipts]
    assert len(receipts) == 30

    # Both wake for the same rows (PostgreSQL's NOTIFY reaches both; on SQLite both
    # poll); PostgreSQL's SKIP LOCKED and SQLite's single writer keep their claims
    # apart, and a claimed row is due again only after its lease.
    rows = eventually(lambda: all_sent(site, 120), timeout=60, what="every alert sent")
    # Each row sent was claimed once: a second claim would count a second attempt.
    assert {row.attempts for row in rows if row.state == "sent"} == {1}
    cases = case_of_each_report(site)
    assert_each_case_alerted_the_team(mail_sink, {cases[r["report_id"]] for r in receipts})
    sent = [mail.message["Message-ID"] for mail in mail_sink.messages()]
    assert len(sent) == len(set(sent)) == sum(row.state == "sent" for row in rows)
    delivered = [
        sum(int(n) for n in re.findall(r"delivered (\d+) alerts", w.log())) for w in workers
    ]
    print(f"two workers: delivered {delivered}")
