"""The event's attendee and speaker lists page (leads and organiser admins), its three
imports, and the leads' ban-list matches. Views parse and render; services act."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from ombud.attendees import forms, rules
from ombud.attendees.models import Kind, PeopleList
from ombud.attendees.services import imports, matching, store
from ombud.attendees.services.sources import ImportFailed
from ombud.events.models import Event
from ombud.web.forms import posted


def _event(request, slug, rule=rules.may_manage_lists):
    event = get_object_or_404(Event.objects.select_related("organisation"), slug=slug)
    if not rule(request.user, event):
        raise Http404
    return event


def _page(request, event, *, status=200, **bound):
    sources = {kind: store.source_of(event, kind) for kind in Kind.values}
    lists = {row.kind: row for row in PeopleList.objects.filter(event=event)}
    context = {
        "event": event,
        "rows": [(value, label, lists.get(value), sources[value]) for value, label in Kind.choices],
        "pretix_form": bound.get("pretix")
        or forms.PretixForm(initial=forms.initial_of(sources[Kind.ATTENDEES])),
        "pretalx_form": bound.get("pretalx")
        or forms.PretalxForm(initial=forms.initial_of(sources[Kind.SPEAKERS])),
        "csv_form": bound.get("csv") or forms.CsvForm(),
        "failed_form": next(iter(bound.values()), None),
        "may_see_ban_matches": rules.may_see_ban_matches(request.user, event),
    }
    return render(request, "attendees/lists.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def lists(request, slug):
    return _page(request, _event(request, slug))


def _imported(request, event, run, form, name):
    """Run an import from a valid form: done, or failed with its reason (stored and
    shown at the top of the page); a missing token is a mistake in the form."""
    try:
        done = run(form.cleaned_data)
    except imports.NeedsToken as exc:
        form.add_error("token", str(exc))
        return _page(request, event, status=400, **{name: form})
    except ImportFailed as exc:
        messages.error(request, str(exc))
        return redirect("attendees:lists", slug=event.slug)
    messages.success(request, " ".join(store.imported_message(row.kind, row.size) for row in done))
    return redirect("attendees:lists", slug=event.slug)


@login_required
@sensitive_post_parameters("pretix-token")
@require_POST
def import_pretix(request, slug):
    event = _event(request, slug)
    form = forms.PretixForm(posted(request))
    if not form.is_valid():
        return _page(request, event, status=400, pretix=form)
    return _imported(
        request,
        event,
        lambda data: imports.from_pretix(
            event,
            base_url=data["base_url"],
            organizer=data["organizer"],
            remote_event=data["remote_event"],
            token=data["token"],
            by=request.user,
        ),
        form,
        "pretix",
    )


@login_required
@sensitive_post_parameters("pretalx-token")
@require_POST
def import_pretalx(request, slug):
    event = _event(request, slug)
    form = forms.PretalxForm(posted(request))
    if not form.is_valid():
        return _page(request, event, status=400, pretalx=form)
    return _imported(
        request,
        event,
        lambda data: imports.from_pretalx(
            event,
            base_url=data["base_url"],
            remote_event=data["remote_event"],
            token=data["token"],
            by=request.user,
        ),
        form,
        "pretalx",
    )


@login_required
@require_POST
def import_csv(request, slug):
    event = _event(request, slug)
    form = forms.CsvForm(posted(request), request.FILES)
    if not form.is_valid():
        return _page(request, event, status=400, csv=form)
    return _imported(
        request,
        event,
        lambda data: imports.from_csv(
            event, data["file"].read(), default_kind=data["kind"], by=request.user
        ),
        form,
        "csv",
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def ban_matches(request, slug):
    """Which listed people match an active ban-list entry: the event's leads only."""
    event = _event(request, slug, rule=rules.may_see_ban_matches)
    return render(
        request,
        "attendees/ban_matches.html",
        {"event": event, "matches": matching.ban_matches(event, by=request.user)},
    )
