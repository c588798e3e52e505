"""Several machines on one PostgreSQL (docs/deploy.md §10): two `ombud serve` nodes and
two `ombud worker`s, each its own process group with its own data directory, sharing
the database, the secret key and the vault key file; rate limits on, counted once for
all nodes (web.shared).

The nodes listen on loopback, not in network namespaces: a namespace of their own would
cut them off from the test's PostgreSQL server and SMTP sink on loopback, and making
one changes the machine's network set-up. What the test is about - separate processes
with nothing shared but the database and the two keys - holds on loopback.

PostgreSQL only: several nodes need a database server (SQLite is one machine).
"""

import collections
import http.client
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
import uuid

import psycopg
import pytest

from ombud.notify.worker import BATCH  # the worker's claim
from tests.live import FreshPostgresDatabase, OmbudSite, postgres_admin_url

pytestmark = pytest.mark.system

TEAM = {
    f"{name}@pycon-demo.example" for name in ("chair", "coordinator", "responder1", "responder2")
}
NEW_REPORT = "Ombud: a new report needs attention"
CASE_LINK = re.compile(r"/staff/cases/([0-9a-f-]{36})/")
DIGEST = "Ombud: several alerts in one"
IN_DIGEST = re.compile(r"^- (\d+) new reports?\b", re.MULTILINE)
REPORTS = 300
CLIENTS = 4
STREAM_SECONDS = 15.0
KILL_AFTER = REPORTS // 3  # receipts, before one web node and one worker die
LEASE = 5  # OMBUD_WORKER_LEASE: a killed worker's claimed batch is due again after it
# 300 reports in 15 s are a flood (docs/floods.md): the team's alerts are grouped in
# per-person windows, here of 20 s (OMBUD_ALERT_WINDOW; a minute by default), so the
# stream fits the first and a killed worker's batch, back after its lease, the second
# (a flood's is as long, then 4 times): the test waits two windows, the lease and slack.
WINDOW = 20
ALERTS_WITHIN = 2 * WINDOW + LEASE + 30.0


@pytest.fixture
def database_url():
    admin_url = postgres_admin_url()
    if admin_url is None:
        pytest.skip("no PostgreSQL server given (OMBUD_TEST_POSTGRES_URL)")
    with FreshPostgresDatabase(admin_url) as url:
        yield url


@pytest.fixture
def two_nodes(tmp_path, database_url, mail_sink):
    """Two sites, i.e. two machines' data directories, on one database; the first one
    migrates and seeds the demo event. Same secret key and vault key file on both."""
    shared_env = {
        "OMBUD_SECRET_KEY": secrets.token_urlsafe(50),
        "OMBUD_VAULT_KEY_FILE": str(tmp_path / "keys" / "vault-keys.json"),
        "OMBUD_WORKER_LEASE": str(LEASE),
        "OMBUD_ALERT_WINDOW": str(WINDOW),
        # Limits on, as in production, behind one proxy: each client has its address.
        "OMBUD_RATE_LIMITS": "on",
        "OMBUD_TRUSTED_PROXIES": "1",
    }
    first = OmbudSite(
        tmp_path / "node-a", email_url=mail_sink.url, database_url=database_url, env=shared_env
    ).setup()
    second = OmbudSite(
        tmp_path / "node-b", email_url=mail_sink.url, database_url=database_url, env=shared_env
    )
    second.data_dir.mkdir(parents=True)
    yield first, second
    for site in (first, second):
        site.stop()


class Client(threading.Thread):
    """Files its share of the reports at a steady pace, each with its own idempotency
    key, through the nodes in turn; a request cut off (its node died) or answered
    with a server error is sent again, same key, to the other node."""

    def __init__(self, nodes, address: str, keys, pace: float, deadline: float):
        super().__init__(daemon=True)
        self.nodes, self.address, self.keys = nodes, address, keys
        self.pace, self.deadline = pace, deadline
        self.receipts = {}  # key -> the 201's body
        self.retries, self.refusals = collections.Counter(), []

    def run(self):
        for n, key in enumerate(self.keys):
            started = time.monotonic()
            self._file(n, key)
            time.sleep(max(0.0, self.pace - (time.monotonic() - started)))

    def _file(self, n: int, key: str) -> None:
        attempt = 0
        while time.monotonic() < self.deadline:
            base_url = self.nodes[(n + attempt) % len(self.nodes)]
            request = urllib.request.Request(
                base_url + "/api/v1/events/pycon-demo/reports",
                data=json.dumps({"what_happened": f"multi-node report {key}"}).encode(),
                headers={
                    "Content-Type": "application/json",
                    "Idempotency-Key": key,
                    "X-Forwarded-For": self.address,
                },
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    assert response.status == 201
                    self.receipts[key] = json.loads(response.read())
                    return
            except urllib.error.HTTPError as error:
                if error.code < 500:
                    self.refusals.append(error.code)  # an answer, but no receipt: a bug
                    return
                self.retries[f"HTTP {error.code}"] += 1
            except (OSError, http.client.HTTPException) as error:
                self.retries[type(error).__name__] += 1
            attempt += 1
            time.sleep(0.05)


def _reports_in_database(database_url: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        return [str(row[0]) for row in conn.execute("SELECT id FROM cases_report")]


def _outbox_states(database_url: str) -> dict:
    """How many outbox rows there are of each kind, state and hold (for a failure's message)."""
    query = "SELECT kind, state, held, count(*) FROM notify_outboxmessage GROUP BY 1, 2, 3"
    with psycopg.connect(database_url) as conn:
        return {f"{k} {s}{' held' if h else ''}": n for k, s, h, n in conn.execute(query)}


def _alerted_per_person(sink) -> tuple[dict, collections.Counter]:
    """Per team member: how many new reports reached them, counting each alert once
    (by Message-ID) and each digest's "N new reports"; and how often each Message-ID
    was delivered."""
    copies = collections.Counter()
    seen = set()
    reports = collections.Counter()
    for mail in sink.messages():
        message = mail.message
        message_id = message["Message-ID"]
        copies[message_id] += 1
        (address,) = mail.envelope_to
        if address not in TEAM or message_id in seen:
            continue
        seen.add(message_id)
        body = mail.body
        if message["Subject"] == NEW_REPORT:
            assert CASE_LINK.search(body), "a new-report alert without its case's link"
            reports[address] += 1
        elif message["Subject"] == DIGEST:
            reports[address] += sum(int(n) for n in IN_DIGEST.findall(body))
    return dict(reports), copies


def test_two_nodes_and_two_workers_one_of_each_killed_lose_nothing(two_nodes, mail_sink):
    """300 reports through both nodes from 4 clients over ~15 s; after 100 receipts one
    node and one worker are killed (SIGKILL, whole process group). Every receipted report
    is stored once and reaches the four people on duty; no message goes out 3 times.

    Alerts: at this rate the event floods and each person's alerts are grouped
    (docs/floods.md), as in production. Rather than slow the stream below 8 reports a
    minute, the test counts each person's reports as their new-report alerts (one
    Message-ID each) plus the "N new reports" of their digests, and wants exactly 300."""
    first, second = two_nodes
    node_a, _node_b = first.server().start(), second.server().start()
    worker_a, _worker_b = first.worker("worker-a").start(), second.worker("worker-b").start()

    # One allowance across the nodes: unknown receipts tried through both in turn are
    # refused after 100 from the address, not after 100 per node.
    misses = collections.Counter(
        _unknown_receipt((first, second)[n % 2].base_url, "203.0.113.50") for n in range(130)
    )
    assert misses == {404: 100, 429: 30}, misses

    keys = [str(uuid.uuid4()) for _ in range(REPORTS)]
    started = time.monotonic()
    deadline = started + STREAM_SECONDS + 30  # retries after the kill get this long
    pace = STREAM_SECONDS * CLIENTS / REPORTS
    nodes = [first.base_url, second.base_url]
    clients = [
        Client(nodes, f"198.51.100.{n + 1}", keys[n::CLIENTS], pace, deadline)
        for n in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    while sum(len(c.receipts) for c in clients) < KILL_AFTER:
        assert time.monotonic() < deadline, "the stream did not get going"
        time.sleep(0.01)
    node_a.kill()  # SIGKILL to its process group: gunicorn's master and workers
    worker_a.kill()
    killed_at = sum(len(c.receipts) for c in clients)
    for client in clients:
        client.join(timeout=deadline - time.monotonic() + 15)
    streamed = time.monotonic() - started

    receipts = {key: body for c in clients for key, body in c.receipts.items()}
    retries = sum((c.retries for c in clients), collections.Counter())
    refusals = [code for c in clients for code in c.refusals]
    assert not refusals, f"error answers instead of receipts: {refusals}"
    assert len(receipts) == REPORTS, f"{REPORTS - len(receipts)} reports never got a receipt"

    # Stored exactly once: one report per idempotency key, whichever node answered,
    # however often it was sent; nothing stored that no receipt names.
    stored = _reports_in_database(first.database_url)
    receipted = {str(body["report_id"]) for body in receipts.values()}
    assert len(receipted) == REPORTS
    assert sorted(stored) == sorted(receipted)

    # Every report reached each of the four people on duty, on its own or counted in
    # a digest; no message was delivered more than twice.
    def all_alerted():
        reports, _copies = _alerted_per_person(mail_sink)
        return reports if all(reports.get(p, 0) >= REPORTS for p in TEAM) else None

    try:
        waited_from = time.monotonic()
        alerted = _wait(all_alerted, ALERTS_WITHIN)
    except AssertionError:
        raise AssertionError(
            f"not every report alerted within {ALERTS_WITHIN}s: {_alerted_per_person(mail_sink)[0]}"
            f"; outbox: {_outbox_states(first.database_url)}"
        ) from None
    # A killed worker's batch the mail server took before it could record that is sent
    # again: into a digest, when the person's window is full by then (a batch at most).
    assert all(REPORTS <= alerted[p] <= REPORTS + BATCH for p in TEAM), alerted
    _reports, copies = _alerted_per_person(mail_sink)
    assert max(copies.values()) <= 2, collections.Counter(copies.values())
    print(
        f"two nodes: {REPORTS} reports streamed in {streamed:.1f}s, node and worker killed"
        f" after {killed_at} receipts, {retries.total()} requests sent again ({dict(retries)});"
        f" {len(copies)} messages, {sum(n > 1 for n in copies.values())} delivered twice;"
        f" all alerted {time.monotonic() - waited_from:.1f}s after the stream"
    )


def _wait(check, timeout: float):
    until = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > until:
            raise AssertionError(f"not within {timeout}s")
        time.sleep(0.25)


def _unknown_receipt(base_url: str, address: str) -> int:
    request = urllib.request.Request(
        base_url + "/api/v1/receipt",
        headers={"X-Receipt": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG", "X-Forwarded-For": address},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
