"""Who may see which case: defined once, used by every list, page, count and API call."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q

from ombud.audit import actions
from ombud.audit.models import ActorKind, Entry
from ombud.cases.models import Case, Channel, Recusal, Report, Status
from ombud.cases.services.recusal import tag_for
from ombud.db import rows as db_rows
from ombud.events.models import Event, VaultMode
from ombud.staff.models import Membership
from ombud.vault.models import KeyWrap, RecipientKind

_WORKING = (Status.ACKNOWLEDGED, Status.INVESTIGATING)


def cases_visible_to(user):
    """Cases of events where the user works cases, minus those they are recused from."""
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    works_cases = (
        Membership.objects.acknowledged().case_workers().filter(user=user, event=OuterRef("event"))
    )
    recused = Recusal.objects.filter(case=OuterRef("pk"), user_tag=tag_for(user.pk))
    # In the per-person mode a case someone's key does not open is not theirs (yet):
    # access is granted by wrapping the case key for them (services.grants).
    sealed_to_them = KeyWrap.objects.filter(
        keyring=OuterRef("pk"), recipient_kind=RecipientKind.PERSON, recipient_ref=str(user.pk)
    )
    return Case.objects.filter(
        Exists(works_cases),
        ~Exists(recused),
        Q(event__vault_mode=VaultMode.SERVER) | Exists(sealed_to_them),
        # An expunged case is a metadata record for counts, no longer anybody's case.
        expunged_at__isnull=True,
    )


def reports_visible_to(user):
    return Report.objects.filter(case__in=cases_visible_to(user))


def reports_taken_by(user):
    """Reports a staff member took for someone: they may follow the status, nothing more."""
    if not user.is_authenticated or not user.is_active:
        return Report.objects.none()
    return Report.objects.filter(taken_by=user)


def dashboard_cases(cases, limit: int) -> list:
    """The first ``limit`` cases in dashboard order, by buckets (each an index range,
    newest first, cut at the limit): no query sorts every visible case."""
    found: list = []
    # ``urgent__in``, not ``urgent``: SQLite reads a bare boolean column in WHERE as an
    # expression and sorts the whole status; ``IN`` reaches the (status, urgent,
    # created_at) index, which gives the rows newest first.
    buckets = (
        ({"status": Status.NEW, "urgent__in": [True]},),
        ({"status": Status.NEW, "urgent__in": [False]},),
        tuple({"status": s, "urgent__in": [True]} for s in _WORKING),
        tuple({"status": s, "urgent__in": [False]} for s in _WORKING),
        ({"status": Status.DECIDED},),
        ({"status": Status.CLOSED},),
    )
    for bucket in buckets:
        if len(found) >= limit:
            break
        wanted = limit - len(found)
        rows = []
        for part in bucket:
            rows += cases.filter(**part).order_by("-created_at")[:wanted]
        rows.sort(key=lambda case: case.created_at, reverse=True)
        found += rows[:wanted]
    return found


def attach_channels(cases: list) -> list:
    """Set ``channels`` on each case: how its reports came in (labels in the active
    language, in order), in one query for the whole list."""
    if not cases:
        return cases
    labels = {value: str(label) for value, label in Channel.choices}
    found: dict = {}
    # A prepared query (db.rows): the ORM would cost several times what the database does.
    marks, params = db_rows.keys(Report, "case", [c.pk for c in cases])
    where = f"t.case_id IN ({marks}) ORDER BY t.received_at"
    for case_id, channel in db_rows.values(Report, ("case_id", "channel"), where, params):
        label = labels.get(channel, channel)
        if label not in found.setdefault(case_id, []):
            found[case_id].append(label)
    for case in cases:
        case.channels = found.get(case.pk, [])
    return cases


def attach_events(cases: list, known) -> list:
    """Set each case's (or report's) event, with its organisation, from ``known`` events
    already fetched, the others in one query: the list's rows need not carry them."""
    events = {event.pk: event for event in known}
    missing = {case.event_id for case in cases} - events.keys()
    if missing:
        events.update(Event.objects.select_related("organisation").in_bulk(missing))
    for case in cases:
        case.event = events[case.event_id]
    return cases


ACCESS_LOG_LIMIT = 300
# Apps built on cases add what else belongs to a case (case -> ids of its objects).
access_log_sources: list = []


def access_log_of(case) -> list[dict]:
    """Who opened or changed a case, newest first: for its leads (from the audit log)."""
    ids = {str(case.pk)}
    related = (
        case.reports,
        case.notes,
        case.messages,
        case.attachments,
        case.accounts,
        case.safety_steps,
        case.interim_actions,
        case.links,
        case.respondents,
    )
    for objects in related:
        ids.update(str(pk) for pk in objects.values_list("pk", flat=True))
    ids.update(
        str(pk) for pk in KeyWrap.objects.filter(keyring=case.pk).values_list("pk", flat=True)
    )
    for source in access_log_sources:
        ids.update(str(pk) for pk in source(case))
    entries = list(
        Entry.objects.filter(object_id__in=ids, event_id=case.event_id).order_by("-seq")[
            :ACCESS_LOG_LIMIT
        ]
    )
    people = get_user_model().objects.in_bulk(
        [
            int(e.actor_id)
            for e in entries
            if e.actor_kind == ActorKind.USER and e.actor_id.isdigit()
        ]
    )
    return [
        {
            "at": e.at,
            "who": people.get(int(e.actor_id)) if e.actor_id.isdigit() else None,
            "kind": e.actor_kind,
            "what": actions.describe(e.action),
        }
        for e in entries
    ]
