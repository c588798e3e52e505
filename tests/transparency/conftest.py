import uuid
from datetime import timedelta

from django.utils import timezone

from ombud.cases.models import Case, Category, Report, TimelineEntry
from ombud.decisions.models import Decision


def case(
    event,
    *,
    channel="web",
    categories=(),
    status="new",
    ack_after=None,
    decided=None,
    decided_after=timedelta(days=2),
    by=None,
    created=None,
):
    """A case as the counting sees it: metadata only (the sealed parts are placeholders;
    tests of what a report holds file real ones through the intake)."""
    created = created or timezone.now() - timedelta(days=10)
    row = Case.objects.create(
        event=event,
        code_name=f"case-{uuid.uuid4().hex[:8]}",
        status=status,
        created_at=created,
        updated_at=created,
    )
    Report.objects.create(
        case=row,
        event=event,
        channel=channel,
        received_at=created,
        sealed=b"-",
        receipt_digest=uuid.uuid4().hex,
    )
    row.categories.set(Category.objects.filter(event=event, name__in=categories))
    if ack_after is not None:
        TimelineEntry.objects.create(
            case=row,
            at=created + ack_after,
            kind=TimelineEntry.Kind.STATUS_CHANGED,
            detail={"from": "new", "to": "acknowledged"},
        )
    if decided:
        Decision.objects.create(
            case=row,
            consequence=decided,
            state=Decision.State.FINAL,
            proposed_by=by,
            proposed_at=created + decided_after,
            closed_by=by,
            closed_at=created + decided_after,
            sealed=b"-",
        )
    return row


def cases(event, n, **kwargs):
    return [case(event, **kwargs) for _ in range(n)]
