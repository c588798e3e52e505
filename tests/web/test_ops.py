"""/healthz, /readyz and /metrics: what they answer, to whom, and what they never say."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import override_settings
from django.utils import timezone

from ombud.cases.models import Channel
from ombud.notify import worker
from ombud.notify.models import OutboxMessage
from ombud.web import health, requeststats
from tests import factories
from tests.test_configuration import ombud

TOKEN = "m" * 16 + "Xq7-Lp2vR9tY4wE1sA8dF3gH6jK0"


@pytest.fixture(autouse=True)
def _fresh_checks():
    health.forget()
    # Requests answered by earlier tests in this process are not this test's.
    requeststats.clear()
    yield
    health.forget()


def _no_cookies_and_no_store(response):
    assert not response.cookies
    assert "no-store" in response["Cache-Control"]


# --- /healthz --------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_says_ok_without_asking_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    _no_cookies_and_no_store(response)


@pytest.mark.django_db
def test_healthz_answers_only_get(client):
    assert client.post("/healthz").status_code == 405


# --- /readyz ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_readyz_is_ready_with_a_beating_worker_and_nothing_overdue(client):
    worker.beat(timezone.now())
    response = client.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    _no_cookies_and_no_store(response)


@pytest.mark.django_db
def test_readyz_names_a_silent_worker(client):
    worker.beat(timezone.now() - worker.ALIVE_WITHIN - timedelta(seconds=1))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["worker"]}
    _no_cookies_and_no_store(response)


@pytest.mark.django_db
def test_readyz_names_alerts_due_too_long_and_says_nothing_of_them(client):
    conf = factories.event("conf")
    factories.member(conf, factories.user("ona"), factories.Role.RESPONDER)
    factories.file_report(conf, what_happened="SECRET-WORDS in a report")
    worker.beat(timezone.now())
    assert client.get("/readyz").status_code == 200
    # The worker beats but delivers nothing: the alert has waited past the bound.
    OutboxMessage.objects.update(
        created_at=timezone.now() - health.UNDELIVERED_BOUND - timedelta(seconds=1)
    )
    health.forget()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["alerts"]}
    assert "SECRET" not in response.text


@pytest.mark.django_db
def test_readyz_names_alerts_retried_through_a_mail_outage(client):
    conf = factories.event("conf")
    factories.member(conf, factories.user("ona"), factories.Role.RESPONDER)
    factories.file_report(conf)
    worker.beat(timezone.now())
    # Tried and refused again and again: waiting for its next retry, never sent.
    OutboxMessage.objects.update(
        created_at=timezone.now() - health.UNDELIVERED_BOUND - timedelta(seconds=1),
        attempts=6,
        next_attempt_at=timezone.now() + timedelta(seconds=60),
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["alerts"]
    # Delivered at last: ready again.
    OutboxMessage.objects.update(state=OutboxMessage.State.SENT)
    health.forget()
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_alerts_held_for_a_digest_in_a_flood_do_not_make_it_unready(client):
    conf = factories.event("conf")
    factories.member(conf, factories.user("ona"), factories.Role.RESPONDER)
    factories.file_report(conf)
    worker.beat(timezone.now())
    # Held until the person's alert window closes (notify.coalesce): waiting on purpose.
    OutboxMessage.objects.update(
        created_at=timezone.now() - health.UNDELIVERED_BOUND - timedelta(seconds=1),
        held=True,
        next_attempt_at=timezone.now() + timedelta(minutes=20),
    )
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_is_not_ready_while_a_migration_is_unapplied(client):
    worker.beat(timezone.now())
    # The app's latest migration: an older one missing under an applied one goes unseen.
    (_app, latest), *_ = MigrationLoader(connection).graph.leaf_nodes("notify")
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = %s AND name = %s", ["notify", latest]
        )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]


@pytest.mark.django_db
def test_readyz_asks_the_database_at_most_once_in_a_short_while(client, django_assert_num_queries):
    worker.beat(timezone.now())
    client.get("/readyz")
    with django_assert_num_queries(0):
        for _ in range(20):
            assert client.get("/readyz").status_code == 200


def test_readyz_names_an_unreachable_database(tmp_path):
    # A PostgreSQL server that is not there (nothing listens on port 1).
    code = (
        "from django.test import Client; r = Client(HTTP_HOST='127.0.0.1').get('/readyz'); "
        "print(r.status_code, r.content.decode())"
    )
    result = ombud(
        "shell",
        "-c",
        code,
        tmp_path=tmp_path,
        OMBUD_DATABASE_URL="postgres://ombud:x@127.0.0.1:1/ombud",
        OMBUD_LOG_LEVEL="CRITICAL",
    )
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503"
    assert json.loads(body) == {
        "status": "unavailable",
        "failing": ["alerts", "database", "migrations", "worker"],
    }


# --- /metrics --------------------------------------------------------------------------


def _scrape(client, token=TOKEN):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return client.get("/metrics", **headers)


def _value(text: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    assert match, f"{sample} is not in the scrape"
    return float(match.group(1))


@pytest.mark.django_db
@override_settings(METRICS_TOKEN="")
def test_metrics_are_off_without_a_token_configured(client):
    assert _scrape(client).status_code == 404
    assert _scrape(client, token=None).status_code == 404


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN)
@pytest.mark.parametrize(
    "authorization",
    [None, "", f"Bearer {TOKEN[:-1]}", f"Bearer {TOKEN}x", f"Basic {TOKEN}", TOKEN, "Bearer"],
)
def test_metrics_answer_a_wrong_or_missing_token_as_if_they_did_not_exist(client, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = client.get("/metrics", **headers)
    assert response.status_code == 404
    assert "ombud_" not in response.content.decode()


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN)
def test_metrics_count_reports_by_channel_and_never_show_content(client):
    conf = factories.event("slug-of-the-event")
    factories.member(conf, factories.user("ona"), factories.Role.RESPONDER)
    worker.beat(timezone.now())
    receipts = [factories.file_report(conf, what_happened="SECRET-WORDS").receipt]
    first = _scrape(client)
    assert first.status_code == 200
    assert first["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    _no_cookies_and_no_store(first)
    assert _value(first.text, 'ombud_reports_received_total{channel="web"}') == 1
    receipts += [
        factories.file_report(conf, channel=Channel.API).receipt,
        factories.file_report(conf, channel=Channel.API).receipt,
    ]
    text = _scrape(client).text
    assert _value(text, 'ombud_reports_received_total{channel="web"}') == 1
    assert _value(text, 'ombud_reports_received_total{channel="api"}') == 2
    assert _value(text, 'ombud_outbox_messages{state="pending"}') >= 3
    assert _value(text, "ombud_workers_alive") == 1
    assert _value(text, 'ombud_ready{check="worker"}') == 1
    assert "SECRET" not in text
    assert "slug-of-the-event" not in text  # no event in any label
    for receipt in receipts:
        assert receipt not in text


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN)
def test_reports_per_event_only_when_the_operator_turns_them_on(client, settings):
    conf, meetup = factories.event("conf-one"), factories.event("meetup-two")
    for event, count in ((conf, 3), (meetup, 1)):
        for _ in range(count):
            factories.file_report(event)
    text = _scrape(client).text
    assert "ombud_event_reports_received_total" not in text
    assert "conf-one" not in text
    settings.METRICS_PER_EVENT = True
    text = _scrape(client).text
    assert _value(text, 'ombud_event_reports_received_total{event="conf-one"}') == 3
    assert _value(text, 'ombud_event_reports_received_total{event="meetup-two"}') == 1
    factories.file_report(meetup)
    text = _scrape(client).text
    assert _value(text, 'ombud_event_reports_received_total{event="meetup-two"}') == 2
    assert _value(text, 'ombud_reports_received_total{channel="web"}') == 5


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN)
def test_the_reports_counter_reads_only_entries_written_since_the_last_scrape(
    client, django_assert_max_num_queries
):
    conf = factories.event("conf")
    for _ in range(3):
        factories.file_report(conf)
    _scrape(client)
    factories.file_report(conf)
    from ombud.web import metrics  # noqa: PLC0415

    with django_assert_max_num_queries(3) as captured:
        assert metrics.reports_received()["by_channel"] == {"web": 4}
    reads = [q["sql"] for q in captured.captured_queries if "audit_entry" in q["sql"]]
    assert any('"seq" >' in sql for sql in reads), reads


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN)
def test_metrics_label_requests_by_url_name_never_by_path(client, cast):
    case_id = str(factories.file_report(cast.event).report.case_id)
    client.get(f"/staff/cases/{case_id}/")
    client.get("/no/such/page/with-a-SECRET-path")
    text = _scrape(client).text
    assert 'ombud_http_requests_total{view="cases:detail",method="GET",status="302"}' in text
    assert 'view="unmatched"' in text
    assert case_id not in text
    assert "SECRET" not in text
    buckets = re.findall(
        r'^ombud_http_request_duration_seconds_bucket\{view="cases:detail",le="([^"]+)"\} (\d+)$',
        text,
        re.MULTILINE,
    )
    assert buckets[-1] == ("+Inf", "1")
    counts = [int(count) for _le, count in buckets]
    assert counts == sorted(counts)


@pytest.mark.django_db
@override_settings(METRICS_TOKEN=TOKEN)
def test_a_made_up_method_is_counted_as_other_and_the_scrape_still_answers(client):
    client.generic("GET|X", "/healthz")
    client.generic("PROPFIND", "/healthz")
    response = _scrape(client)
    assert response.status_code == 200
    assert (
        _value(
            response.text,
            'ombud_http_requests_total{view="ops:healthz",method="other",status="405"}',
        )
        == 2
    )
    assert "GET|X" not in response.text
    assert "PROPFIND" not in response.text


def test_request_totals_add_up_over_the_server_processes(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    requeststats.clear()
    requeststats.record("ops:healthz", "GET", 200, 0.003)
    requeststats.record("ops:healthz", "GET", 200, 0.2)
    # Another process of the same server wrote its totals beside ours.
    sibling = {
        "requests": {"ops:healthz|GET|200": 5},
        "latency": {"ops:healthz": [5] + [0] * (len(requeststats.BUCKETS) + 1)},
    }
    other = requeststats.directory() / f"{requeststats._HOST}-999999.json"
    other.write_text(json.dumps(sibling))
    totals = requeststats.combined()
    assert totals["requests"] == {"ops:healthz|GET|200": 7}
    row = totals["latency"]["ops:healthz"]
    assert row[0] == 6  # <= 5 ms
    assert row[requeststats.BUCKETS.index(0.25)] == 1
    assert row[-1] == pytest.approx(0.203)
    requeststats.clear()
    assert not list(requeststats.directory().glob("*.json"))


# --- configuration -------------------------------------------------------------------


def test_an_unknown_log_format_refuses_to_start(tmp_path):
    result = ombud("check", tmp_path=tmp_path, OMBUD_LOG_FORMAT="xml")
    assert result.returncode == 2
    assert "OMBUD_LOG_FORMAT must be text or json, not 'xml'" in result.stderr


def test_a_short_metrics_token_refuses_to_start(tmp_path):
    result = ombud("check", tmp_path=tmp_path, OMBUD_METRICS_TOKEN="short-token")
    assert result.returncode == 2
    assert "OMBUD_METRICS_TOKEN must be at least 32 characters" in result.stderr
    assert "short-token" not in result.stderr


def test_production_probes_over_plain_http_are_not_redirected(tmp_path):
    """A probe on the machine asks http://127.0.0.1:8000/readyz; pages still go to https."""
    code = (
        "from django.test import Client; c = Client(HTTP_HOST='ombud.example.org'); "
        "print([c.get(p).status_code for p in ('/healthz', '/readyz', '/metrics', '/e/x/')])"
    )
    result = ombud(
        "shell",
        "-c",
        code,
        tmp_path=tmp_path,
        OMBUD_MODE="production",
        OMBUD_SECRET_KEY="k" * 20 + "Zq8-2mX0pL4vR7tY1wE9sA3dF6gH5jK",
        OMBUD_EMAIL_URL="smtp://mail.example.org:587",
        OMBUD_BASE_URL="https://ombud.example.org",
        OMBUD_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        OMBUD_LOG_LEVEL="CRITICAL",
    )
    assert result.returncode == 0, result.stderr
    # healthz: alive; readyz: not ready (nothing migrated); metrics: off; a page: to https.
    assert result.stdout.strip().splitlines()[-1] == "[200, 503, 404, 301]"
