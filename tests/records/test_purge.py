"""Purging: previewed, unchanged and due cases are crypto-shredded to their metadata
record, one whole case at a time; everything else is left as it was."""

import io
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from ombud.audit.models import Entry
from ombud.audit.services import verify_log
from ombud.cases.models import (
    Account,
    Attachment,
    Case,
    CaseLink,
    InterimAction,
    Message,
    Note,
    Recusal,
    Report,
    Respondent,
    RespondentTag,
    SafetyStep,
    TimelineEntry,
)
from ombud.cases.queries import cases_visible_to
from ombud.decisions.models import Approval, Decision
from ombud.notify.models import OutboxMessage
from ombud.records.models import PreviewItem
from ombud.records.services import expiry, purge, shred
from ombud.vault.models import KeyWrap
from tests.records.helpers import closed_case, keyed, rich_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now()


def _months_ago(now, months):
    return now - timedelta(days=31 * months)


def _previewed(cast, now, days_ago=8):
    return purge.make_preview(cast.event.organisation, now=now - timedelta(days=days_ago))


def test_a_due_case_is_previewed_purged_and_leaves_exactly_its_metadata_record(cast, now):
    keyed(cast)
    case, _receipt = rich_case(cast, _months_ago(now, 13), "written")
    report = Report.objects.get(case=case)
    categories = list(case.categories.values_list("pk", flat=True))
    received, closed = report.received_at, case.closed_at
    preview = _previewed(cast, now)
    assert list(preview.items.values_list("case_id", flat=True)) == [case.pk]

    result = purge.purge(purge.ripe_items(now), now=now)

    assert result.purged == [case.pk]
    case.refresh_from_db()
    assert case.code_name.startswith("expunged-")
    assert case.code_name.replace("-", "").endswith(case.pk.hex)
    assert (case.expunged_at, case.expunge_rule) == (now, expiry.WARNING)
    assert (case.status, case.closed_at, case.event_id) == ("closed", closed, cast.event.pk)
    assert case.inbox_public_key is None
    assert case.sealed_inbox_key is None
    assert case.owner_id is None
    assert not case.helpers.exists()
    assert list(case.categories.values_list("pk", flat=True)) == categories
    report.refresh_from_db()
    assert bytes(report.sealed) == b""
    assert report.resend_box is None
    assert (report.received_at, report.channel) == (received, "web")
    assert report.receipt_digest.startswith("expunged:")
    assert report.receipt_digest.replace("-", "").endswith(report.pk.hex)
    assert (report.contact_digest, report.thread_digest, report.taken_by_id) == ("", None, None)
    assert not KeyWrap.objects.filter(keyring=case.pk).exists()
    for model in (Attachment, Message, Note, Account, Respondent, InterimAction, SafetyStep):
        assert not model.objects.filter(case=case).exists(), model.__name__
    assert not Recusal.objects.filter(case=case).exists()
    assert not RespondentTag.objects.filter(respondent__case=case).exists()
    assert not CaseLink.objects.filter(case=case).exists()
    assert not CaseLink.objects.filter(other=case).exists()
    assert not OutboxMessage.objects.filter(subject_id=case.pk).exists()
    decision = Decision.objects.get(case=case)
    assert (decision.consequence, decision.state, bytes(decision.sealed)) == (
        "written",
        "final",
        b"",
    )
    assert not Approval.objects.filter(decision=decision).exists()
    kinds = set(TimelineEntry.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds == {"report_received", "status_changed"}
    assert not TimelineEntry.objects.filter(case=case, actor__isnull=False).exists()
    assert PreviewItem.objects.get(case=case).state == PreviewItem.State.PURGED
    assert Entry.objects.filter(action="case.expunged", object_id=str(case.pk)).count() == 1
    assert Entry.objects.filter(action="organisation.purge_run").count() == 1
    assert not cases_visible_to(cast.lead).filter(pk=case.pk).exists()
    assert verify_log().ok


def test_a_case_not_yet_due_is_left_whole(cast, now):
    keyed(cast)
    case = closed_case(cast, _months_ago(now, 5))  # no action: 6 months
    _previewed(cast, now)
    result = purge.purge(purge.ripe_items(now), now=now)
    assert result.purged == []
    case.refresh_from_db()
    assert case.expunged_at is None
    assert KeyWrap.objects.filter(keyring=case.pk).exists()


def test_a_case_changed_since_its_preview_is_skipped_and_the_next_preview_takes_it(cast, now):
    keyed(cast)
    case = closed_case(cast, _months_ago(now, 7))
    _previewed(cast, now)
    Case.objects.filter(pk=case.pk).update(version=case.version + 1)  # someone acted on it

    result = purge.purge(purge.ripe_items(now), now=now)

    assert (result.purged, result.changed) == ([], [case.pk])
    case.refresh_from_db()
    assert case.expunged_at is None
    assert PreviewItem.objects.get(case=case).state == PreviewItem.State.CHANGED
    purge.make_preview(cast.event.organisation, now=now)
    later = now + purge.GRACE
    assert purge.purge(purge.ripe_items(later), now=later).purged == [case.pk]


def test_ombud_purges_only_what_a_preview_at_least_a_week_old_listed(cast, now):
    keyed(cast)
    case = closed_case(cast, _months_ago(now, 7))
    _previewed(cast, now, days_ago=3)
    assert purge.purge(purge.ripe_items(now), now=now).purged == []
    case.refresh_from_db()
    assert case.expunged_at is None


def test_a_longer_policy_since_the_preview_keeps_the_case(cast, now):
    from ombud.records.services import policy  # noqa: PLC0415

    keyed(cast)
    case = closed_case(cast, _months_ago(now, 7))
    _previewed(cast, now)
    values = {name: getattr(policy.policy_for(0), name) for name in policy.EDITABLE}
    policy.save_policy(cast.event.organisation, {**values, "months_no_action": 24}, by=cast.admin)
    result = purge.purge(purge.ripe_items(now), now=now)
    assert result.not_due == [case.pk]
    case.refresh_from_db()
    assert case.expunged_at is None


def test_an_interrupted_purge_leaves_the_failing_case_whole_and_resumes(cast, now, monkeypatch):
    keyed(cast)
    cases = [closed_case(cast, _months_ago(now, 9 - n)) for n in range(3)]  # in due order
    failing_case = cases[1]
    _previewed(cast, now)
    real = shred.shred_cases

    def failing(rules, **kwargs):
        real(rules, **kwargs)  # half-way: the case's rows are already changed
        if failing_case.pk in rules:
            raise OSError("disk gone, half-way through a case")

    monkeypatch.setattr(shred, "shred_cases", failing)
    with pytest.raises(OSError, match="half-way"):
        purge.purge(purge.ripe_items(now), now=now)
    expunged = set(Case.objects.filter(expunged_at__isnull=False).values_list("pk", flat=True))
    assert expunged == {cases[0].pk}
    half = Case.objects.get(pk=failing_case.pk)
    assert half.expunged_at is None
    assert not half.code_name.startswith("expunged-")
    assert KeyWrap.objects.filter(keyring=half.pk).exists()
    assert bytes(Report.objects.get(case=half).sealed) != b""
    assert Case.objects.get(pk=cases[2].pk).expunged_at is None
    assert PreviewItem.objects.get(case=cases[2]).state == PreviewItem.State.PENDING

    monkeypatch.setattr(shred, "shred_cases", real)
    result = purge.purge(purge.ripe_items(now), now=now)
    assert set(result.purged) == {cases[1].pk, cases[2].pk}
    assert Case.objects.filter(expunged_at__isnull=False).count() == 3


def _everything():
    rows = {}
    for model in apps.get_models():
        rows[model._meta.label] = [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
            for row in model._base_manager.order_by("pk").values_list()
        ]
    return rows


def test_the_command_dry_run_changes_nothing_and_prints_ids_only(cast, now):
    keyed(cast)
    case, _receipt = rich_case(cast, _months_ago(now, 13))
    _previewed(cast, now)
    before = _everything()
    out = io.StringIO()
    call_command("purge", "--dry-run", stdout=out)
    assert _everything() == before
    printed = out.getvalue()
    assert "1 cases would be expunged" in printed
    assert str(case.pk) in printed
    assert "RETENTIONCANARY" not in printed
    assert case.code_name not in printed


def test_the_command_previews_then_purges_what_an_old_enough_preview_listed(cast, now):
    keyed(cast)
    case = closed_case(cast, _months_ago(now, 7))
    out = io.StringIO()
    call_command("purge", stdout=out)
    assert "0 cases expunged" in out.getvalue()
    assert PreviewItem.objects.filter(case=case, state="pending").exists()
    case.refresh_from_db()
    assert case.expunged_at is None
    later = timezone.now() + purge.GRACE + timedelta(hours=1)
    found = purge.run(later)
    assert found.purge.purged == [case.pk]


def test_the_worker_runs_the_purge(cast, now):
    from ombud.notify import worker  # noqa: PLC0415

    assert any(getattr(t, "task", None) is purge.periodic for t in worker.periodic_tasks)
