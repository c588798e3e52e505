"""The staff dashboard: the most pressing cases, what to do, who is on duty."""

import functools
import uuid
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.formats import get_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ombud.cases import rules
from ombud.cases.models import Case, Status
from ombud.cases.queries import (
    attach_channels,
    attach_events,
    cases_visible_to,
    dashboard_cases,
    reports_taken_by,
)
from ombud.cases.services import alerts, floods, grants, keytrust, promises, team
from ombud.events.models import LONG_TEXTS
from ombud.events.services import events_managed_by
from ombud.notify import worker
from ombud.notify.models import OutboxMessage
from ombud.staff import rota
from ombud.staff import rules as staff_rules
from ombud.staff.models import Membership
from ombud.staff.queries import memberships_of

# The dashboard shows the most pressing cases; "more" shows a longer list.
DASHBOARD_LIMIT = 50
DASHBOARD_MORE = 500
_ANY_ID = uuid.UUID(int=0)


def _filled(translated: str, **values) -> SafeString:
    """A translated message with its placeholders filled as ``{% blocktranslate %}`` fills
    them: the translation is ours and may hold markup, the values are escaped."""
    return mark_safe(translated % {k: conditional_escape(v) for k, v in values.items()})  # noqa: S308


def _badge(kind: str, label) -> SafeString:
    return format_html('<span class="{}">{}</span>', kind, label)


@functools.lru_cache(maxsize=4096)
def _short_datetime(at, zone, fmt: str, language: str) -> str:
    """``at`` in ``zone`` as ``fmt`` says, in ``language``: the same rows come back on
    every view of the dashboard, so each is formatted once per process."""
    with translation.override(language):
        return dateformat.format(timezone.localtime(at, zone), fmt)


def _present(cases: list, now) -> list[dict]:
    """What each row of the list shows, worked out once here rather than by template
    tags per row (a tag costs more than the rest of a row): its link, status, when it
    came in (in its event's time zone), where from, whose it is, whether it missed a
    promise, how far its alert has escalated (its badges: made once for the list, joined
    per row). The rest of the markup stays in the template; rows are dicts, which the
    template reads at its first try."""
    received_format = get_format("SHORT_DATETIME_FORMAT")
    language = translation.get_language()
    # One reverse for the list, not one per row: the links differ only by the case id.
    before, after = reverse("cases:detail", args=[_ANY_ID]).split(str(_ANY_ID))
    # Each label and message translated, and each badge made, once for the list.
    statuses = {
        value: _badge("badge new" if value == Status.NEW else "badge", label)
        for value, label in Status.choices
    }
    urgent = _badge("badge urgent", _("urgent"))
    overdue = {what: _badge("badge urgent", label) for what, label in promises.BADGES.items()}
    received = _("Received %(age)s ago (%(when)s)")
    owned, ownerless = _("Owner: <bdi>%(owner)s</bdi>"), _("No owner yet")
    acknowledge = _('Acknowledge <span class="visually-hidden">%(name)s</span>')
    rows = []
    for case in cases:
        new = case.status == Status.NEW
        try:
            escalation_level = case.escalation.level
        except ObjectDoesNotExist:
            escalation_level = 0  # no escalation row (yet)
        badges = [statuses.get(case.status) or _badge("badge", case.status)]
        if case.urgent:
            badges.append(urgent)
        if missed := promises.overdue(case, now):
            badges.append(overdue[missed.what])
        if new and escalation_level > 1:
            level = _("escalated: level %(level)s") % {"level": escalation_level}
            badges.append(_badge("badge urgent", level))
        when = _short_datetime(case.created_at, case.event.zone, received_format, language)
        rows.append(
            {
                "url": f"{before}{case.pk}{after}",
                "code_name": case.code_name,
                "version": case.version,
                "urgent": case.urgent,
                "new": new,
                "badges": mark_safe("\n    ".join(badges)),  # noqa: S308 -- made by _badge
                "received": _filled(received, age=timesince(case.created_at, now), when=when),
                "came_in": " · ".join([case.event.name, *case.channels]),
                "owner_line": _filled(owned, owner=case.owner) if case.owner else ownerless,
                "acknowledge": _filled(acknowledge, name=case.code_name) if new else "",
            }
        )
    return rows


@login_required
def dashboard(request):
    user = request.user
    memberships = list(memberships_of(user).defer(*(f"event__{text}" for text in LONG_TEXTS)))
    # Someone whose key opens cases others should read but cannot yet: open them.
    granted = grants.grant_pending(user, memberships=memberships)
    visible = cases_visible_to(user)
    more = bool(request.GET.get("more"))
    cases = dashboard_cases(
        visible.filter(junk_at__isnull=True).select_related("escalation", "owner"),
        DASHBOARD_MORE if more else DASHBOARD_LIMIT + 1,
    )
    has_more = not more and len(cases) > DASHBOARD_LIMIT
    cases = cases[:DASHBOARD_LIMIT] if has_more else cases
    # Cases are of events the user works, whose rows their memberships brought along.
    attach_events(cases, (m.event for m in memberships))
    now = timezone.now()
    cases = _present(attach_channels(promises.attach_last_update(cases)), now)
    today = timezone.localdate()
    # Who is on duty matters for events on now or soon, not for last year's.
    rota_events = [
        m.event
        for m in memberships
        if m.event.ends_on >= today - timedelta(days=1)
        and staff_rules.may_manage_rota(user, m.event)
    ]
    managed = list(events_managed_by(user).values_list("pk", "roster_version"))
    # Their events are among the memberships': the query need not bring them along.
    taken = attach_events(
        list(reports_taken_by(user).select_related("case").order_by("-received_at")[:50]),
        (m.event for m in memberships),
    )
    context = {
        "cases": cases,
        "has_more": has_more,
        "to_review": team.interim_actions_awaiting_review(visible)[:50],
        "now": now,
        "memberships": memberships,
        # Actions for events on now, soon or just over; not for every past one.
        "current": [
            m
            for m in memberships
            if m.is_acknowledged and m.event.ends_on >= today - timedelta(days=7)
        ],
        "unacknowledged": [m for m in memberships if not m.is_acknowledged],
        "outdated": [m for m in memberships if m.is_acknowledged and not m.is_current],
        "taken": taken,
        "managed_events": bool(managed),
        "rota": [(event, rota.on_duty_now(event), len(rota.gaps(event))) for event in rota_events],
        "granted": granted,
        "keys_to_confirm": keytrust.keys_to_confirm(user, memberships=memberships, managed=managed),
        # Leads see a flood at once: the alerts they get are grouped meanwhile.
        "floods": floods.open_floods(m.event for m in memberships if rules.leads(m)).values(),
    }
    retry_for = [m.event_id for m in memberships if rules.may_retry_alerts_in(m)]
    if retry_for:
        context["worker"] = health = worker.health()
        # Usually there are none at all: then the query for this lead's is not made.
        if health["dead_letters"]:
            retriable = visible.filter(event__in=retry_for, pk=OuterRef("subject_id"))
            context["dead_letters"] = (
                OutboxMessage.objects.filter(state=OutboxMessage.State.DEAD)
                .filter(Exists(retriable))
                .select_related("channel", "recipient")
                .order_by("-created_at")[:50]
            )
    return render(request, "cases/dashboard.html", context)


@login_required
@require_POST
def retry_alert(request, message_id):
    """A lead sends a dead-lettered alert about a case they work on again."""
    message = get_object_or_404(
        OutboxMessage,
        pk=message_id,
        state=OutboxMessage.State.DEAD,
        subject_id__in=cases_visible_to(request.user).values("pk"),
    )
    case = Case.objects.select_related("event").get(pk=message.subject_id)
    if not rules.may_retry_alert(request.user, case.event):
        raise Http404
    alerts.retry(message, case, by=request.user)
    messages.success(request, _("The alert will be sent again in a moment."))
    return redirect("cases:dashboard")


@login_required
@require_POST
def confirm_key(request, member_id):
    """A lead or organiser admin vouches for a case worker's key, having compared its
    fingerprint with the one the person sees on their own "Signing in" page."""
    membership = get_object_or_404(Membership.objects.select_related("event"), pk=member_id)
    if not rules.may_confirm_keys(request.user, membership.event):
        raise Http404
    made = keytrust.confirm(
        membership.user, request.POST.get("fingerprint", "")[:64], by=request.user
    )
    if made is None:
        messages.error(
            request,
            _("Nothing was confirmed: that key changed meanwhile, or yours is not unlocked."),
        )
    else:
        messages.success(
            request, _("You vouched for the key of %(person)s.") % {"person": membership.user}
        )
    return redirect("cases:dashboard")
