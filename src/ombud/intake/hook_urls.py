from django.urls import path

from ombud.intake import hooks

app_name = "hooks"
urlpatterns = [
    path("twilio/<slug:slug>/sms", hooks.twilio_sms, name="twilio_sms"),
    path("twilio/<slug:slug>/voice", hooks.twilio_voice, name="twilio_voice"),
    path("twilio/<slug:slug>/voice/<slug:step>", hooks.twilio_voice, name="twilio_voice_step"),
    path("sms/<slug:slug>", hooks.gateway_sms, name="gateway_sms"),
]
