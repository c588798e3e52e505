"""Operations endpoints: ``/healthz``, ``/readyz`` and ``/metrics`` (docs/deploy.md).

None of them needs a session, none sets a cookie, and none says anything about a
report: ``/readyz`` names its failing checks, ``/metrics`` wants the operator's token.
"""

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from ombud.web import health, metrics


@require_GET
def healthz(request):
    """The process is alive and answering; nothing else is asked (no database)."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request):
    """Ready when the database answers, every migration is applied, a worker beats and
    no alert has been due too long; otherwise 503 with the names of the failing checks."""
    results = health.cached_checks()
    failing = sorted(name for name, passed in results.items() if not passed)
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    return JsonResponse({"status": "ok"})


def _authorised(request) -> bool:
    expected = settings.METRICS_TOKEN
    if not expected:
        return False
    scheme, _space, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.encode()
    )


@require_GET
def metrics_view(request):
    # Off, missing or wrong token: the same 404, so the endpoint's existence and whether
    # it is on stay the operator's business (Ombud answers 404, never 403).
    if not _authorised(request):
        raise Http404
    return HttpResponse(metrics.render(), content_type=metrics.CONTENT_TYPE)
