"""Which per-address budget a report draws from (docs/security.md §5, "Throttling").

Thousands of attendees can share one venue address, so a flood from one of them
must not lock the others out. Three separate budgets per address:

- the JSON API (``report-api``): floods come through it, it has no form, and it
  cannot use up what the web form gets;
- the web form (``report-form``), for any form;
- a further allowance (``report-form-late``) only for forms loaded at least
  ``LATE_AFTER`` before they were sent, as their signed ``loaded`` field proves.
  A script that floods the form (load, send at once) uses up ``report-form``;
  a person who took a moment to write still gets through on this one. The stamp
  is free to fetch, so it never stands alone: the allowance is per address too.

Staff-assisted reports draw on none of them.
"""

import time

from django.core import signing

from ombud.web import ratelimit

API, FORM, FORM_LATE = "report-api", "report-form", "report-form-late"
# A form sent this long after it was loaded was, most likely, written by a person.
LATE_AFTER = 10
# Older stamps count as none: the allowance cannot be stocked up for days.
LATE_UNTIL = 24 * 3600
_SALT = "ombud.intake.form-loaded"


def stamp() -> str:
    """The signed time a form was loaded, for its hidden ``loaded`` field."""
    return signing.dumps(int(time.time()), salt=_SALT)


def loaded_at(value: str) -> int | None:
    """When the form was loaded, or None for a missing, forged or odd stamp."""
    try:
        at = signing.loads(value or "", salt=_SALT)
    except signing.BadSignature:
        return None
    return at if isinstance(at, int) and not isinstance(at, bool) else None


def form_budget(request, loaded: int | None) -> str | None:
    """The budget a web report may draw from now, or None: refuse it for now."""
    if not ratelimit.exceeded(FORM, request):
        return FORM
    age = time.time() - loaded if loaded is not None else -1
    if LATE_AFTER <= age <= LATE_UNTIL and not ratelimit.exceeded(FORM_LATE, request):
        return FORM_LATE
    return None
