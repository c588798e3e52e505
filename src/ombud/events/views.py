from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language_info, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from ombud.accounts.decorators import recent_auth_required
from ombud.events import printables, services
from ombud.events.forms import EventForm, EventTextsForm, OrganisationForm, RecoveryForm
from ombud.events.models import TRANSLATED_TEXTS, Event, EventText, Organisation
from ombud.events.queries import event_by_slug
from ombud.events.services import events_managed_by, organisations_managed_by
from ombud.staff import rules as staff_rules
from ombud.staff.queries import leads_to_call, on_duty_publicly
from ombud.vault.errors import VaultError
from ombud.web import i18n
from ombud.web.forms import posted
from ombud.web.i18n import NAMES as LANGUAGE_NAMES
from ombud.web.i18n import speak_for_event


def home(request):
    today = timezone.localdate()
    events = Event.objects.filter(ends_on__gte=today).order_by("starts_on")[:50]
    return render(request, "events/home.html", {"events": events})


def event_page(request, slug):
    """Everything the procedure tells an attendee: the code, how to report, who to call."""
    event = public_event(request, slug)
    return render(
        request,
        "events/event_page.html",
        {
            "event": event,
            "event_zone": event.zone,
            "texts": event.texts_in(request.LANGUAGE_CODE),
            "on_duty": on_duty_publicly(event),
            "ack_hours": event.ack_promise_hours_at(timezone.now()),
            "ways": services.other_ways(event),
        },
    )


def public_event(request, slug) -> Event:
    """The event behind a public page, its pages speaking one of its languages."""
    event = event_by_slug(slug)
    if event is None:
        raise Http404
    speak_for_event(request, event)
    return event


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
    form = OrganisationForm(posted(request), instance=organisation)
    if request.method == "POST" and form.is_valid():
        services.save_organisation(form.instance, by=request.user)
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
    form = EventForm(posted(request), instance=event)
    if request.method == "POST" and form.is_valid():
        services.save_event(form.instance, by=request.user)
        messages.success(request, _("Saved."))
        return redirect("staff:edit_event", slug=form.instance.slug)
    return render(
        request,
        "events/event_form.html",
        {
            "form": form,
            "event": event if event.pk else None,
            "other_languages": _other_languages(event) if event.pk else [],
        },
        status=400 if form.is_bound else 200,
    )


def _other_languages(event) -> list[tuple]:
    """(code, name, whether any text is written) for each language beside the default."""
    written = {
        t.language
        for t in EventText.objects.filter(event=event)
        if any(getattr(t, name).strip() for name in TRANSLATED_TEXTS)
    }
    return [(code, LANGUAGE_NAMES[code], code in written) for code in event.offered_languages()[1:]]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit_event_texts(request, slug, language):
    """The event's own texts in one of its other languages, beside the default's."""
    event = get_object_or_404(events_managed_by(request.user), slug=slug)
    if language == event.default_language or language not in event.offered_languages():
        raise Http404
    originals = event.texts_in(event.default_language)
    texts = EventText.objects.filter(event=event, language=language).first()
    form = EventTextsForm(
        posted(request), instance=texts or EventText(event=event, language=language)
    )
    if request.method == "POST" and form.is_valid():
        services.save_event_texts(event, language, form.cleaned_data, by=request.user)
        messages.success(request, _("Saved."))
        return redirect("staff:event_texts", slug=event.slug, language=language)
    return render(
        request,
        "events/event_texts.html",
        {
            "form": form,
            "event": event,
            "language": language,
            # In a sentence, a language is named in the page's own language.
            "language_name": get_language_info(language)["name_translated"],
            "default_name": get_language_info(event.default_language)["name_translated"],
            "fields": [(form[name], originals[name]) for name in TRANSLATED_TEXTS],
        },
        status=400 if form.is_bound else 200,
    )


def _managed_organisation(request, org_slug):
    return get_object_or_404(
        Organisation.objects.filter(pk__in=organisations_managed_by(request.user)), slug=org_slug
    )


@login_required
@recent_auth_required
@require_http_methods(["GET", "HEAD", "POST"])
def recovery_key(request, org_slug):
    """Make the organisation's recovery key: its private half is shown once, to print."""
    organisation = _managed_organisation(request, org_slug)
    if request.method == "POST":
        text = services.create_recovery_key(organisation, by=request.user)
        if text is not None:
            return render(
                request,
                "events/recovery_key_once.html",
                {"organisation": organisation, "text": text},
            )
        organisation.refresh_from_db()
    return render(request, "events/recovery_key.html", {"organisation": organisation})


@login_required
@recent_auth_required
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def use_recovery_key(request, org_slug):
    """After every lead lost their password: open the cases again for one person."""
    organisation = _managed_organisation(request, org_slug)
    form = RecoveryForm(posted(request), organisation=organisation)
    if request.method == "POST" and form.is_valid():
        person = form.cleaned_data["person"].user
        try:
            opened = services.use_recovery_key(
                organisation, form.cleaned_data["recovery_key"], person, by=request.user
            )
        except VaultError as exc:
            form.add_error("recovery_key", str(exc))
        else:
            messages.success(
                request,
                ngettext(
                    "%(n)d case is open to %(person)s again.",
                    "%(n)d cases are open to %(person)s again.",
                    opened,
                )
                % {"n": opened, "person": person},
            )
            return redirect("staff:manage")
    return render(
        request,
        "events/use_recovery_key.html",
        {"organisation": organisation, "form": form},
        status=400 if form.errors else 200,
    )


# The venue's printables, in the language of the request. Staff pages: the poster
# carries only what the public event page shows.


def _printable_event(request, slug, rule):
    event = get_object_or_404(Event.objects.select_related("organisation"), slug=slug)
    if not rule(request.user, event):
        raise Http404
    return event


def _printable(event, *, public_only: bool) -> dict:
    url = printables.report_url(event)
    return {
        "event": event,
        "report_url": url,
        "qr": printables.qr_svg(url),
        "leads": leads_to_call(event, public_only=public_only),
        "ways": services.other_ways(event),
    }


@login_required
@require_http_methods(["GET", "HEAD"])
def poster(request, slug):
    """A poster for the venue's walls: how to report, the QR code, whom to call. In one
    of the event's languages, as its public pages are; ``?lang=`` prints another."""
    event = _printable_event(request, slug, staff_rules.may_print_poster)
    speak_for_event(request, event)
    asked = i18n.supported(request.GET.get("lang"))
    if asked in event.offered_languages():
        i18n.speak(request, asked)
    context = {
        **_printable(event, public_only=True),
        "texts": event.texts_in(request.LANGUAGE_CODE),
        "languages": [(code, LANGUAGE_NAMES[code]) for code in event.offered_languages()],
    }
    return render(request, "events/poster.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
def pocket_card(request, slug):
    """A card for a staff member's pocket: how to take a report, step by step."""
    event = _printable_event(request, slug, staff_rules.may_print_pocket_card)
    return render(request, "events/pocket_card.html", _printable(event, public_only=False))
