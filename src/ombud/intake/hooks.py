"""Provider webhooks for the event's text-message number and hotline (thin: the
channels' modules hold the rules).

Answers say as little as possible: 404 for an event, channel or number that is not
there, 403 (with no detail) for a request not signed with the channel's secret,
400 for one without what the provider always sends. No cookies, no CSRF token: the
signature is the proof of origin.
"""

import json

from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ombud.intake.channels import texts, twilio, voice
from ombud.intake.models import IntakeChannel
from ombud.vault.errors import VaultError


def _channel(slug: str, kind: str, provider: str) -> IntakeChannel:
    channel = (
        IntakeChannel.objects.select_related("event")
        .filter(event__slug=slug, kind=kind, provider=provider, enabled=True)
        .order_by("pk")
        .first()
    )
    if channel is None:
        raise Http404
    return channel


def _forbidden() -> HttpResponse:
    return HttpResponse(status=403, content_type="text/plain")


def _twilio_signed(request, channel) -> bool:
    try:
        _account, token = twilio.credentials(channel)
    except VaultError:
        return False  # a sealed config that does not open signs nothing
    params = [(name, value) for name in request.POST for value in request.POST.getlist(name)]
    given = request.headers.get("X-Twilio-Signature", "")
    return twilio.valid(token, twilio.public_url(request), params, given)


def _xml(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/xml; charset=utf-8")


@csrf_exempt
@require_POST
def twilio_sms(request, slug):
    channel = _channel(slug, IntakeChannel.Kind.SMS, IntakeChannel.Provider.TWILIO)
    if not _twilio_signed(request, channel):
        return _forbidden()
    try:
        return _xml(texts.from_twilio(channel, request.POST))
    except texts.UnknownNumber:
        raise Http404 from None
    except texts.Malformed:
        return HttpResponseBadRequest(content_type="text/plain")


@csrf_exempt
@require_POST
def twilio_voice(request, slug, step=""):
    channel = _channel(slug, IntakeChannel.Kind.VOICE, IntakeChannel.Provider.TWILIO)
    if not _twilio_signed(request, channel):
        return _forbidden()
    try:
        if not step:
            return _xml(voice.incoming(channel, request.POST))
        if step in voice.STEPS:
            return _xml(voice.STEPS[step](channel, request.POST))
        if step in voice.STEPS_WITH_QUERY:
            return _xml(voice.STEPS_WITH_QUERY[step](channel, request.POST, request.GET))
    except voice.Unknown:
        raise Http404 from None
    except voice.Malformed:
        return HttpResponseBadRequest(content_type="text/plain")
    raise Http404


@csrf_exempt
@require_POST
def gateway_sms(request, slug):
    channel = _channel(slug, IntakeChannel.Kind.SMS, IntakeChannel.Provider.GATEWAY)
    try:
        signed = texts.gateway_signed(
            channel,
            request.headers.get("X-Ombud-Timestamp", ""),
            request.body,
            request.headers.get("X-Ombud-Signature", ""),
        )
    except VaultError:
        signed = False
    if not signed:
        return _forbidden()
    try:
        data = json.loads(request.body)
        return JsonResponse(texts.from_gateway(channel, data))
    except texts.UnknownNumber:
        raise Http404 from None
    except (ValueError, texts.Malformed):
        # json's errors and texts.Malformed are both ValueErrors.
        return JsonResponse({"detail": "malformed request"}, status=400)
