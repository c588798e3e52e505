from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ombud.events.forms import EventForm, OrganisationForm
from ombud.events.models import Event, Organisation
from ombud.events.services import events_managed_by, organisations_managed_by, save_event
from ombud.staff.queries import on_duty_publicly


def home(request):
    today = timezone.localdate()
    events = Event.objects.filter(ends_on__gte=today).order_by("starts_on")[:50]
    return render(request, "events/home.html", {"events": events})


def event_page(request, slug):
    """Everything the procedure tells an attendee: the code, how to report, who to call."""
    event = get_object_or_404(Event.objects.select_related("organisation"), slug=slug)
    return render(
        request,
        "events/event_page.html",
        {"event": event, "event_zone": event.zone, "on_duty": on_duty_publicly(event)},
    )


# Organiser admins' pages. Every lookup goes through ``events_managed_by``:
# an event of another organisation is simply not found.


@login_required
def manage(request):
    organisations = Organisation.objects.filter(pk__in=organisations_managed_by(request.user))
    if not organisations:
        raise Http404
    return render(
        request,
        "events/manage.html",
        {"organisations": organisations, "events": events_managed_by(request.user)},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit_organisation(request, org_slug):
    organisation = get_object_or_404(
        Organisation.objects.filter(pk__in=organisations_managed_by(request.user)), slug=org_slug
    )
    form = OrganisationForm(request.POST or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("staff:manage")
    return render(
        request,
        "events/organisation_form.html",
        {"form": form, "organisation": organisation},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit_event(request, slug=None, org_slug=None):
    if slug:
        event = get_object_or_404(events_managed_by(request.user), slug=slug)
    else:
        organisation = get_object_or_404(
            Organisation.objects.filter(pk__in=organisations_managed_by(request.user)),
            slug=org_slug,
        )
        event = Event(organisation=organisation)
    form = EventForm(request.POST or None, instance=event)
    if request.method == "POST" and form.is_valid():
        save_event(form.instance)
        messages.success(request, _("Saved."))
        return redirect("staff:edit_event", slug=form.instance.slug)
    return render(
        request,
        "events/event_form.html",
        {"form": form, "event": event if event.pk else None},
        status=400 if form.is_bound else 200,
    )
