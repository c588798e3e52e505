"""An event's pages for its response team: the overview, the hand-over, categories."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from ombud.cases import rules
from ombud.cases.forms import EventCategoriesForm
from ombud.cases.queries import cases_visible_to
from ombud.cases.services import categories, floods, overview, triage, work
from ombud.events.models import Event
from ombud.web.forms import posted


def _event_for(request, slug, rule):
    event = get_object_or_404(Event.objects.select_related("organisation"), slug=slug)
    if not rule(request.user, event):
        raise Http404
    return event


@login_required
@require_http_methods(["GET", "HEAD"])
def event_overview(request, slug):
    """Open, overdue, by status and category: the event at a glance, for its leads."""
    event = _event_for(request, slug, rules.may_see_event_overview)
    context = {
        "event": event,
        "event_zone": event.zone,
        "by_category": categories.counts(event, cases_visible_to(request.user)),
        **overview.overview(event, request.user),
    }
    return render(request, "cases/overview.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def event_categories(request, slug):
    """The event's categories: for its organiser admins and its incident leads."""
    event = _event_for(request, slug, rules.may_manage_categories)
    current = "\n".join(event.categories.values_list("name", flat=True))
    form = EventCategoriesForm(posted(request), initial={"names": current})
    if request.method == "POST" and form.is_valid():
        try:
            kept = categories.set_for_event(
                event, form.cleaned_data["names"].splitlines(), by=request.user
            )
        except work.CaseActionError as exc:
            form.add_error("names", str(exc))
        else:
            messages.success(request, _("Categories saved."))
            if kept:
                messages.info(
                    request,
                    _("Kept because cases have them: %(names)s") % {"names": ", ".join(kept)},
                )
            return redirect("cases:categories", slug=event.slug)
    return render(
        request,
        "cases/categories.html",
        {"event": event, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def handover(request, slug):
    """For the next shift: what happened on the cases lately, and what is open."""
    event = _event_for(request, slug, rules.may_see_handover)
    try:
        hours = min(max(int(request.GET.get("hours", overview.HANDOVER_HOURS)), 1), 72)
    except ValueError:
        hours = overview.HANDOVER_HOURS
    context = {
        "event": event,
        "event_zone": event.zone,
        **overview.handover(event, request.user, hours=hours),
    }
    return render(request, "cases/handover.html", context)


def _triage_post(request, event):
    """Mark a group as junk, or put one case back; a message says what happened."""
    action = request.POST.get("action")
    if action == "junk":
        try:
            up_to = parse_datetime(request.POST.get("up_to", "") or "")
        except ValueError:
            up_to = None
        if up_to is None:
            raise work.CaseActionError(_("The page was out of date: look at the groups again."))
        marked = triage.mark_junk(
            event, request.POST.get("group", ""), up_to=up_to, by=request.user
        )
        messages.success(
            request,
            ngettext("%(n)d report marked as junk.", "%(n)d reports marked as junk.", marked)
            % {"n": marked},
        )
    elif action == "not_junk":
        try:
            case_id = uuid.UUID(request.POST.get("case", ""))
        except ValueError:
            case_id = None
        case = case_id and cases_visible_to(request.user).filter(event=event, pk=case_id).first()
        if case is None:
            raise work.CaseActionError(_("That case is not one you may put back."))
        triage.not_junk(case, by=request.user)
        messages.success(request, _("The case is back in the queue."))
    else:
        raise work.CaseActionError(_("Unknown action."))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def flood(request, slug):
    """A flood's triage for the event's leads: near-identical reports grouped, a group
    marked as junk in one action, a case put back."""
    event = _event_for(request, slug, rules.is_lead)
    status = 200
    if request.method == "POST":
        try:
            _triage_post(request, event)
        except work.CaseActionError as exc:
            messages.error(request, str(exc))
            status = 400
        else:
            return redirect("cases:flood", slug=event.slug)
    now = timezone.now()
    junk_count, junk_cases = triage.junk(event, request.user)
    context = {
        "event": event,
        "event_zone": event.zone,
        "flood": floods.open_floods([event]).get(event.pk),
        "groups": triage.groups(event, request.user, up_to=now),
        "up_to": now.isoformat(),
        "junk_count": junk_count,
        "junk_cases": junk_cases,
    }
    return render(request, "cases/flood.html", context, status=status)
