"""The baseline for DESIGN §8: a bare Django view that writes one report row and one
outbox row and delivers nothing, served by gunicorn with 4 sync workers
(``bench.baseline_wsgi``) with ``DJANGO_SETTINGS_MODULE=bench.baseline_settings``:
Ombud's models and database configuration, no middleware, no alert worker.

The view does what the simplest possible intake would: parse the JSON body, check
``what_happened``, look the event up by slug, then in one transaction (SQLite
``BEGIN IMMEDIATE``, WAL, ``synchronous=FULL``, exactly as Ombud) insert one
``cases_report`` row (content stored as plain JSON, no encryption) and one
``notify_outboxmessage`` row, and answer 201 with a receipt and the report id.
No validation schema, no case, key wraps, recusal, timeline or audit entry: that
is the cost Ombud adds and the benchmark measures.

Every report hangs off one shared case, created once before the server starts
(``ombud shell -c "from bench.baseline import prepare; prepare()"``), because
``cases_report.case_id`` is a non-null foreign key.

The module doubles as the URLconf of the baseline settings: only
``POST /bench/baseline/events/<event>/reports`` and ``GET /bench/baseline/ready``.
"""

import hashlib
import json
import secrets
import uuid

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ombud.cases.models import Case, Channel, Report
from ombud.events.models import Event
from ombud.notify.models import OutboxMessage

BASELINE_CODE_NAME = "bench-baseline"
BASELINE_PATH = "/bench/baseline/events/{event}/reports"
_case_ids: dict[int, uuid.UUID] = {}


def _case_for(event_id: int) -> uuid.UUID:
    case_id = _case_ids.get(event_id)
    if case_id is None:
        case_id = Case.objects.values_list("pk", flat=True).get(
            event_id=event_id, code_name=BASELINE_CODE_NAME
        )
        _case_ids[event_id] = case_id
    return case_id


@csrf_exempt
@require_POST
def bare_submit(request: HttpRequest, event: str) -> JsonResponse:
    try:
        data = json.loads(request.body)
    except ValueError:
        return JsonResponse({"detail": "Body is not JSON."}, status=400)
    what = data.get("what_happened") if isinstance(data, dict) else None
    if not isinstance(what, str) or not what.strip() or len(what) > 20_000:
        return JsonResponse({"detail": "what_happened is required."}, status=422)
    event_id = Event.objects.filter(slug=event).values_list("pk", flat=True).first()
    if event_id is None:
        return JsonResponse({"detail": "Unknown event."}, status=404)
    case_id = _case_for(event_id)
    receipt = secrets.token_urlsafe(18)
    now = timezone.now()
    with transaction.atomic():
        report = Report.objects.create(
            id=uuid.uuid4(),
            case_id=case_id,
            event_id=event_id,
            channel=Channel.API,
            received_at=now,
            sealed=json.dumps(data).encode(),
            receipt_digest=hashlib.sha256(receipt.encode()).hexdigest(),
        )
        OutboxMessage.objects.create(
            kind=OutboxMessage.Kind.NEW_REPORT,
            address="leads@pycon-demo.example",
            context={"event_name": event, "url": f"{settings.BASE_URL}/staff/cases/{case_id}/"},
            created_at=now,
            next_attempt_at=now,
        )
    return JsonResponse({"receipt": receipt, "report_id": str(report.pk)}, status=201)


def ready(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ready")


urlpatterns = [
    path("bench/baseline/events/<slug:event>/reports", bare_submit),
    path("bench/baseline/ready", ready),
]


def prepare(event_slug: str = "pycon-demo") -> None:
    """Create the shared case the baseline's reports belong to (idempotent)."""
    event = Event.objects.get(slug=event_slug)
    now = timezone.now()
    Case.objects.get_or_create(
        event=event,
        code_name=BASELINE_CODE_NAME,
        defaults={"created_at": now, "updated_at": now},
    )
