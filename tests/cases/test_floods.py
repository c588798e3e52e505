"""Floods: near-identical reports found by a keyed fingerprint, an event's flood
opened and ended, alerts grouped with a stated bound per person, escalation not
multiplied, and a lead's triage (a group marked as junk in one action, a case put
back) - with the one real report among them still alerted at once."""

import json
import re
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core import mail
from django.db import connection
from django.db.models import Q
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ombud.audit.models import Entry
from ombud.cases import fingerprint
from ombud.cases.models import Case, Escalation, Flood, Report, Status, TimelineEntry
from ombud.cases.services import escalation, floods, overview, promises, reporter, triage
from ombud.cases.services.work import CaseActionError
from ombud.notify import coalesce, worker
from ombud.notify.models import OutboxMessage
from ombud.records.services import expiry, shred
from tests import factories

pytestmark = pytest.mark.django_db

JUNK = (
    "This conference is a disgrace and the organisers should be ashamed of themselves "
    "for what happened in the main hall today, number {n}"
)
REAL = "Someone grabbed my arm by the coffee stand and would not let go when I asked."


def _junk(event, count, start=0):
    """A flood's reports, all the same words (``JUNK``'s numbered variants, near-identical
    rather than identical, are the fingerprint's own test)."""
    return [
        factories.file_report(event, what_happened=JUNK.format(n="")).report.case
        for _n in range(start, start + count)
    ]


def _marked_junk(cast, count):
    """A flood's reports, filed (with their receipts) and marked as junk by a lead."""
    filed = [
        factories.file_report(cast.event, what_happened=JUNK.format(n="")) for _n in range(count)
    ]
    lead = factories.holding_key(cast.lead)
    now = timezone.now()
    floods.look(cast.event.pk, now)  # as the worker does: enough of them open a flood
    group = triage.groups(cast.event, lead, up_to=now)[0]
    triage.mark_junk(cast.event, group.key, up_to=now, by=lead)
    return filed, lead


def test_near_identical_texts_share_a_band_and_different_ones_do_not():
    one = fingerprint.fingerprint(JUNK.format(n=1))
    two = fingerprint.fingerprint(JUNK.format(n=2))
    other = fingerprint.fingerprint(REAL)
    assert len(one) == 32
    assert set(fingerprint.bands(one)) & set(fingerprint.bands(two))
    assert not set(fingerprint.bands(one)) & set(fingerprint.bands(other))
    assert fingerprint.fingerprint("  ") == ""
    # Short texts and scripts without spaces are shingled by characters.
    assert fingerprint.fingerprint("会場で腕をつかまれました") == fingerprint.fingerprint(
        "会場で腕をつかまれました"
    )
    assert fingerprint.fingerprint("Stop") != fingerprint.fingerprint("Help")


def test_the_fingerprint_is_keyed_and_holds_nothing_of_the_text(cast, monkeypatch):
    report = factories.file_report(cast.event, what_happened=REAL).report
    assert report.fingerprint == fingerprint.fingerprint(REAL)
    assert "coffee" not in report.fingerprint
    # Under another key, the same text has another fingerprint: the key is in every band.
    monkeypatch.setattr(fingerprint.keys, "load", lambda: SimpleNamespace(lookup_key=b"k" * 32))
    assert fingerprint.fingerprint(REAL) != report.fingerprint


def test_many_near_identical_reports_open_a_flood_and_it_ends_when_they_stop(cast):
    _junk(cast.event, 12)
    now = timezone.now()
    seen = floods.look(cast.event.pk, now)
    assert seen.flood is not None
    assert seen.largest_group() >= 12
    assert floods.look(cast.event.pk, now).flood.pk == seen.flood.pk  # one flood, not two
    assert floods.end_quiet_floods(now + timedelta(minutes=20)) == 1
    assert Flood.objects.get().ended_at is not None
    actions = list(
        Entry.objects.filter(action__startswith="flood.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["flood.started", "flood.ended"]


@override_settings(FLOOD_REPORTS=10, FLOOD_DUPLICATES=100)
def test_a_rate_far_above_the_usual_opens_a_flood_and_an_ordinary_day_does_not(cast):
    for n in range(9):
        factories.file_report(cast.event, what_happened=f"{REAL} {n} " * (n + 1))
    assert floods.look(cast.event.pk, timezone.now()).flood is None
    factories.file_report(cast.event, what_happened="Tenth, different from the rest entirely")
    assert floods.look(cast.event.pk, timezone.now()).flood is not None


WORDS = (
    "badge hallway speaker coffee stage lunch talk sponsor booth keynote workshop queue "
    "elevator door photo comment joke slide question laptop party bus hotel lobby"
).split()


def _distinct(n):
    """A text unlike any other ``_distinct`` one: different words in a different order."""
    return " ".join(WORDS[(n * 7 + i * 5) % len(WORDS)] + str(n) for i in range(12))


def _drain(now):
    """What the worker's loop does: claim and deliver while anything is due."""
    while claimed := worker.claim(now=now):
        worker.deliver(claimed, now)


def _deliver_until(end, start, step=timedelta(seconds=20)):
    now = start
    while now <= end:
        floods.forget()
        _drain(now)
        now += step


def _alerts_by_person():
    return Counter(address for message in mail.outbox for address in message.to)


def test_a_flood_reaches_each_person_a_bounded_number_of_times_and_the_real_report_at_once(
    cast,
):
    _junk(cast.event, 60)
    urgent = factories.file_report(cast.event, what_happened=REAL, danger_now=True)
    _junk(cast.event, 60, start=60)
    start = timezone.now()
    _drain(start)
    # The real, urgent report went out on its own, in the first round.
    urgent_alerts = [m for m in mail.outbox if "URGENT" in m.subject]
    assert urgent_alerts
    _deliver_until(start + timedelta(hours=1), start)
    per_person = _alerts_by_person()
    assert per_person
    per_window = coalesce.FLOOD_URGENT + coalesce.FLOOD_OTHER + 1
    bound = coalesce.NORMAL_ALONE + 1 + len(coalesce.FLOOD_WINDOWS) * per_window
    assert bound <= 30
    assert max(per_person.values()) <= bound
    # Nothing lost: every alert was sent on its own or within a digest.
    states = set(OutboxMessage.objects.values_list("state", flat=True))
    assert states <= {OutboxMessage.State.SENT, OutboxMessage.State.MERGED}
    digests = [m for m in mail.outbox if m.subject == "Ombud: several alerts in one"]
    assert any("far faster than usual" in digest.body for digest in digests)
    # Every report reached the lead: on its own, or counted in a digest.
    to_lead = [m for m in mail.outbox if m.to == ["lead@example.org"]]
    alone = sum(1 for m in to_lead if m not in digests)
    counted = sum(int(n) for m in to_lead for n in re.findall(r"(\d+) new reports?", m.body))
    assert alone + counted == 121
    assert urgent.report.case.code_name not in "".join(m.body for m in mail.outbox)
    assert JUNK[:20] not in "".join(m.body for m in mail.outbox)


def test_outside_a_flood_a_few_alerts_go_out_at_once_and_the_rest_in_one_digest(cast):
    for n in range(coalesce.NORMAL_ALONE + 3):
        factories.file_report(cast.event, what_happened=_distinct(n))
    start = timezone.now()
    _drain(start)
    first_round = _alerts_by_person()
    assert max(first_round.values()) == coalesce.NORMAL_ALONE
    _deliver_until(start + coalesce.NORMAL_WINDOW + timedelta(seconds=20), start)
    digest = [m for m in mail.outbox if m.subject == "Ombud: several alerts in one"]
    assert len(digest) == len(first_round)  # one per person
    assert "3 new reports" in digest[0].body


def test_escalation_does_not_climb_for_a_floods_near_duplicates(cast):
    cases = _junk(cast.event, 12)
    real = factories.file_report(cast.event, what_happened=REAL).report.case
    assert floods.pause_duplicates(timezone.now()) == 0  # no flood seen yet
    floods.look(cast.event.pk, timezone.now())  # as the worker does, planning the alerts
    assert floods.pause_duplicates(timezone.now()) == 12
    later = timezone.now() + timedelta(minutes=15)
    floods.forget()
    escalation.escalate_due(later)
    assert Escalation.objects.get(case=real).level == 2
    levels = set(Escalation.objects.filter(case__in=cases).values_list("level", flat=True))
    assert levels == {1}
    escalated = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.ESCALATION)
    assert set(escalated.values_list("subject_id", flat=True)) == {real.pk}
    paused = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.ESCALATION_PAUSED)
    assert paused.count() == 12


def test_a_floods_ladders_are_paused_a_batch_per_write_transaction(cast, monkeypatch):
    # Thousands of ladders in one transaction would stall every report filed meanwhile.
    cases = _junk(cast.event, 12)
    floods.look(cast.event.pk, timezone.now())
    monkeypatch.setattr(floods, "PAUSE_BATCH", 5)
    with CaptureQueriesContext(connection) as captured:
        assert floods.pause_duplicates(timezone.now()) == 12
    # Inside the test's own transaction, each of the worker's is a savepoint.
    transactions = [q["sql"] for q in captured if q["sql"].startswith("SAVEPOINT")]
    assert len(transactions) == 3
    assert not Escalation.objects.filter(case__in=cases, stopped_at__isnull=True).exists()
    # A later round finds nothing left to pause, and tells nobody twice.
    assert floods.pause_duplicates(timezone.now()) == 0
    paused = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.ESCALATION_PAUSED)
    assert paused.count() == 12


def test_a_case_put_back_from_the_junk_keeps_climbing_during_the_flood(cast):
    filed, lead = _marked_junk(cast, 12)
    triage.not_junk(filed[0].report.case, by=lead)
    reporter.add_information(filed[1].receipt, "It really happened, please read it.")
    more = _junk(cast.event, 1, start=99)[0]  # the flood goes on
    # The worker's next round pauses the new duplicate and leaves both decisions standing.
    assert floods.pause_duplicates(timezone.now()) == 1
    assert Escalation.objects.get(case=more).stopped_at is not None
    for back in filed[:2]:
        ladder = Escalation.objects.get(case=back.report.case)
        assert ladder.stopped_at is None
        assert ladder.next_at is not None


def test_a_case_put_back_after_the_round_read_it_is_not_paused(cast):
    # The round reads its candidates outside the write lock; a lead may act before the
    # round's batch gets the lock, and the batch looks again.
    filed, lead = _marked_junk(cast, 12)
    case = triage.not_junk(filed[0].report.case, by=lead)
    assert floods._pause([case.pk], timezone.now()) == 0
    assert Escalation.objects.get(case=case).stopped_at is None


def test_the_put_back_index_is_on_the_kind_the_worker_looks_for():
    # A model's Meta cannot name its own Kind: were the value renamed, the index would
    # quietly stop serving the worker's check.
    index = next(i for i in TimelineEntry._meta.indexes if i.name == "cases_timeline_put_back")
    assert index.condition == Q(kind=TimelineEntry.Kind.NOT_JUNK)


def test_a_lead_marks_a_group_as_junk_in_one_action_and_puts_one_back(cast):
    cases = _junk(cast.event, 12)
    real = factories.file_report(cast.event, what_happened=REAL).report.case
    lead = factories.holding_key(cast.lead)
    now = timezone.now()
    groups = triage.groups(cast.event, lead, up_to=now)
    assert [g.size for g in groups] == [12]
    late = _junk(cast.event, 1, start=99)[0]  # arrives after the lead looked: not marked
    assert triage.mark_junk(cast.event, groups[0].key, up_to=now, by=lead) == 12
    assert set(Case.objects.filter(junk_at__isnull=False)) == set(cases)
    assert Case.objects.get(pk=real.pk).junk_at is None
    assert Case.objects.get(pk=late.pk).junk_at is None
    assert not Escalation.objects.filter(case__in=cases, stopped_at__isnull=True).exists()
    pending = OutboxMessage.objects.filter(
        subject_id__in=[c.pk for c in cases], state=OutboxMessage.State.PENDING
    )
    assert not pending.exists()
    assert Entry.objects.filter(action="case.marked_junk").count() == 12
    # Kept: sealed, with their reports, counted on the triage page.
    assert triage.junk(cast.event, lead)[0] == 12
    back = triage.not_junk(cases[0], by=lead)
    assert back.junk_at is None
    assert Escalation.objects.get(case=back).stopped_at is None
    assert TimelineEntry.objects.filter(case=back, kind=TimelineEntry.Kind.NOT_JUNK).exists()
    with pytest.raises(CaseActionError):
        triage.mark_junk(
            cast.event, groups[0].key, up_to=now, by=factories.holding_key(cast.responder)
        )


def test_a_reporter_writing_again_puts_their_case_back(cast):
    filed, _lead = _marked_junk(cast, 3)
    reporter.add_information(filed[0].receipt, "It really happened, please read it.")
    case = Case.objects.get(pk=filed[0].report.case.pk)
    assert case.junk_at is None
    assert case.status == Status.NEW
    assert Escalation.objects.get(case=case).stopped_at is None


def test_the_dashboard_leaves_junk_out_and_tells_leads_of_a_flood(client, cast):
    cases = _junk(cast.event, 12)
    floods.look(cast.event.pk, timezone.now())
    lead = factories.holding_key(cast.lead)
    triage.mark_junk(
        cast.event,
        triage.groups(cast.event, lead, up_to=timezone.now())[0].key,
        up_to=timezone.now(),
        by=lead,
    )
    factories.sign_in(client, cast.lead)
    html = client.get("/staff/").content.decode()
    assert "Reports are flooding in at" in html
    assert cases[0].code_name not in html
    factories.sign_in(client, cast.responder)
    assert "Reports are flooding in at" not in client.get("/staff/").content.decode()


def test_junk_is_out_of_the_overview_the_hand_over_and_the_overdue_reminders(cast):
    cases = _junk(cast.event, 4)
    real = factories.file_report(cast.event, what_happened=REAL).report.case
    lead = factories.holding_key(cast.lead)
    now = timezone.now()
    triage.mark_junk(
        cast.event, triage.groups(cast.event, lead, up_to=now)[0].key, up_to=now, by=lead
    )
    seen = overview.overview(cast.event, lead)
    assert seen["open"] == 1
    assert [c.pk for c in seen["unowned"]] == [real.pk]
    assert dict(seen["by_status"])[Status.NEW.label] == 1
    shift = overview.handover(cast.event, lead)
    assert [c.pk for c in shift["open_cases"]] == [real.pk]
    assert {case.pk for case, _entries in shift["happened"]} <= {real.pk}
    # Days later nobody has acknowledged anything: only the real report is overdue.
    assert promises.remind_due(now + timedelta(days=3)) == 1
    reminded = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.OVERDUE)
    assert set(reminded.values_list("subject_id", flat=True)) == {real.pk}
    assert not reminded.filter(subject_id__in=[c.pk for c in cases]).exists()


def test_putting_back_a_case_named_by_nonsense_is_refused_on_the_page(client, cast):
    _junk(cast.event, 3)
    factories.sign_in(client, cast.lead)
    for case in ("not-a-uuid", "", "00000000-0000-0000-0000-000000000000"):
        answer = client.post(
            f"/staff/events/{cast.event.slug}/flood/", {"action": "not_junk", "case": case}
        )
        assert answer.status_code == 400
        assert "not one you may put back" in answer.content.decode()


def test_the_triage_page_and_the_api_do_the_same(client, cast):
    _junk(cast.event, 5)
    factories.sign_in(client, cast.lead)
    page = client.get(f"/staff/events/{cast.event.slug}/flood/")
    assert "5 near-identical reports" in page.content.decode()
    token = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": "lead", "password": factories.PASSWORD, "otp": factories.otp()}),
        content_type="application/json",
    ).json()["token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    seen = client.get(f"/api/v1/events/{cast.event.slug}/flood", **auth).json()
    assert [g["size"] for g in seen["groups"]] == [5]
    marked = client.post(
        f"/api/v1/events/{cast.event.slug}/flood/junk",
        json.dumps({"group": seen["groups"][0]["group"], "up_to": seen["as_of"]}),
        content_type="application/json",
        **auth,
    )
    assert marked.json() == {"marked": 5}
    again = client.post(
        f"/api/v1/events/{cast.event.slug}/flood/junk",
        json.dumps({"group": seen["groups"][0]["group"], "up_to": seen["as_of"]}),
        content_type="application/json",
        **auth,
    )
    assert again.status_code == 409
    stale = client.post(
        f"/staff/events/{cast.event.slug}/flood/",
        {"action": "junk", "group": "0:00000000", "up_to": "not a time"},
    )
    assert stale.status_code == 400
    assert "out of date" in stale.content.decode()


def test_junk_follows_retention_and_its_fingerprint_goes_with_its_content(cast):
    cases = _junk(cast.event, 3)
    lead = factories.holding_key(cast.lead)
    now = timezone.now()
    triage.mark_junk(
        cast.event, triage.groups(cast.event, lead, up_to=now)[0].key, up_to=now, by=lead
    )
    junk = Case.objects.select_related("event").get(pk=cases[0].pk)
    found = expiry.expiry_of(junk)
    marked_on = timezone.localdate(junk.junk_at, timezone=junk.event.zone)
    assert (found.rule, found.on) == (expiry.JUNK, expiry.add_months(marked_on, 6))
    assert junk in expiry.closed_cases(cast.event.organisation_id)
    shred.shred(junk, rule=found.rule, now=now)
    assert Report.objects.get(case=junk).fingerprint == ""
    assert Case.objects.get(pk=junk.pk).expunge_rule == expiry.JUNK


def test_the_worker_round_opens_a_flood_before_any_alert_is_planned(cast):
    _junk(cast.event, 12)
    assert not Flood.objects.exists()
    assert floods.watch(timezone.now()) == 1
    assert Flood.objects.get().event == cast.event
    assert floods.watch(timezone.now() + timedelta(minutes=20)) == 0  # receded: ended
    assert Flood.objects.get().ended_at is not None
