"""A staff member's own alert channels: add, choose the primary, test, remove."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from ombud.notify import services
from ombud.notify.channels import config as channel_config
from ombud.notify.forms import ChannelForm
from ombud.notify.models import AlertChannel, OutboxMessage


def _add(request, form) -> AlertChannel:
    data = form.cleaned_data
    with transaction.atomic():
        if data["is_primary"]:
            AlertChannel.objects.filter(user=request.user).update(is_primary=False)
        return AlertChannel.objects.create(
            user=request.user,
            kind=data["kind"],
            label=form.label(),
            sealed_config=channel_config.seal(request.user.pk, data["kind"], form.config()),
            is_primary=data["is_primary"],
        )


def _act(request, channel, action) -> None:
    with transaction.atomic():
        if action == "primary":
            AlertChannel.objects.filter(user=request.user).update(is_primary=False)
            channel.is_primary = True
            channel.save(update_fields=["is_primary"])
        elif action == "toggle":
            channel.enabled = not channel.enabled
            channel.save(update_fields=["enabled"])
        elif action == "delete":
            channel.delete()
        elif action == "test":
            services.queue(
                OutboxMessage.Kind.CHANNEL_TEST,
                [(request.user.pk, _address(channel), channel.pk)],
                event_name="Ombud",
                path="/staff/channels/",
            )


def _address(channel) -> str:
    if channel.kind == AlertChannel.Kind.EMAIL:
        return channel_config.open_config(channel)["target"]
    return ""


_DONE = {
    "primary": _("That channel is now your primary one."),
    "toggle": _("Saved."),
    "delete": _("Channel removed."),
    "test": _("A test alert is on its way. It should arrive within seconds."),
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
                channel = _add(request, form)
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
        elif action in _DONE:
            channel_id = request.POST.get("channel", "")
            channel = get_object_or_404(
                AlertChannel,
                user=request.user,
                pk=int(channel_id) if channel_id.isdigit() else 0,
            )
            _act(request, channel, action)
            messages.success(request, _DONE[action])
            return redirect("notify:channels")
    return render(
        request,
        "notify/pages/channels.html",
        {"channels": AlertChannel.objects.filter(user=request.user), "form": form},
        status=status,
    )
