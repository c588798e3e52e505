"""A staff member's own alert channels: add, choose the primary, test, remove."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from ombud.notify import alert_channels
from ombud.notify.forms import ChannelForm
from ombud.notify.models import AlertChannel


def _toggle(channel, *, by):
    alert_channels.set_enabled(channel, not channel.enabled, by=by)


# Each button on a channel: the service it calls, and what the page then says.
_ACTIONS = {
    "primary": (alert_channels.make_primary, gettext_lazy("That channel is now your primary one.")),
    "toggle": (_toggle, gettext_lazy("Saved.")),
    "delete": (alert_channels.remove_channel, gettext_lazy("Channel removed.")),
    "test": (
        alert_channels.send_test,
        gettext_lazy("A test alert is on its way. It should arrive within seconds."),
    ),
}


@login_required
@sensitive_post_parameters("secret")
@require_http_methods(["GET", "HEAD", "POST"])
def channels(request):
    form = ChannelForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action == "add":
            form = ChannelForm(request.POST)
            if form.is_valid():
                channel = alert_channels.add_channel(
                    by=request.user,
                    kind=form.cleaned_data["kind"],
                    label=form.label(),
                    config=form.config(),
                    is_primary=form.cleaned_data["is_primary"],
                )
                if form.cleaned_data.get("generated_secret"):
                    # Shown once, as receipts are: it is stored only sealed.
                    return render(
                        request,
                        "notify/pages/secret.html",
                        {"channel": channel, "secret": form.cleaned_data["secret"]},
                    )
                messages.success(request, _("Channel added. Send yourself a test alert."))
                return redirect("notify:channels")
            status = 400
        elif action in _ACTIONS:
            channel_id = request.POST.get("channel", "")
            channel = get_object_or_404(
                AlertChannel,
                user=request.user,
                pk=int(channel_id) if channel_id.isdigit() else 0,
            )
            service, done = _ACTIONS[action]
            service(channel, by=request.user)
            messages.success(request, done)
            return redirect("notify:channels")
    return render(
        request,
        "notify/pages/channels.html",
        {"channels": AlertChannel.objects.filter(user=request.user), "form": form},
        status=status,
    )
