"""The organiser's pages for an event's reporting channels, and the leads' count of
what those channels turned away."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from ombud.cases import rules
from ombud.events.models import Event
from ombud.events.services import events_managed_by
from ombud.intake.channel_forms import IntakeChannelForm
from ombud.intake.channels import configure
from ombud.intake.models import IntakeChannel
from ombud.web.forms import posted


@login_required
@require_http_methods(["GET", "HEAD"])
def channels(request, slug):
    """The event's ways in besides the web form, with how each is doing."""
    event = get_object_or_404(events_managed_by(request.user), slug=slug)
    return render(
        request,
        "intake/channels.html",
        {
            "event": event,
            "channels": IntakeChannel.objects.filter(event=event).order_by("kind", "address"),
            "kinds": IntakeChannel.Kind.choices,
        },
    )


@login_required
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def channel(request, slug, kind=None, intake_channel_id=None):
    """Add one channel of ``kind``, or change (or turn off) ``intake_channel_id``."""
    event = get_object_or_404(events_managed_by(request.user), slug=slug)
    if intake_channel_id is not None:
        instance = get_object_or_404(IntakeChannel, event=event, pk=intake_channel_id)
    elif kind in IntakeChannel.Kind.values:
        instance = IntakeChannel(event=event, kind=kind)
    else:
        raise Http404
    form = IntakeChannelForm(posted(request), instance=instance, kind=instance.kind)
    if request.method == "POST" and form.is_valid():
        saved = configure.save_channel(
            form.instance,
            form.secrets(),
            by=request.user,
            new_gateway_secret=form.cleaned_data.get("new_secret", False),
        )
        if saved.new_secret:
            # Shown once, now; Ombud keeps it sealed.
            return render(
                request,
                "intake/channel_secret.html",
                {"event": event, "channel": saved.channel, "secret": saved.new_secret},
            )
        messages.success(request, _("Saved."))
        return redirect("staff:channels", slug=event.slug)
    return render(
        request,
        "intake/channel_form.html",
        {"event": event, "form": form, "channel": instance},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def turned_away(request, slug):
    """For the event's incident leads: counts of what its channels did not file, by why."""
    event = get_object_or_404(Event, slug=slug)
    if not rules.may_see_turned_away(request.user, event):
        raise Http404
    return render(
        request,
        "intake/turned_away.html",
        {
            "event": event,
            "days": configure.TURNED_AWAY_DAYS,
            "rows": configure.turned_away(event),
        },
    )
