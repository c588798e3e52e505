from datetime import timedelta

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "ombud.intake"
    label = "intake"

    def ready(self):
        from ombud.intake import held  # noqa: PLC0415
        from ombud.intake.channels import texts, twilio, voicemail  # noqa: PLC0415
        from ombud.intake.services import forget_resend_boxes  # noqa: PLC0415
        from ombud.notify import worker  # noqa: PLC0415

        # Often enough that a staff-taken report's box (15 minutes) is gone soon after.
        worker.register(forget_resend_boxes, timedelta(minutes=5))
        worker.register(held.forget_expired, timedelta(minutes=5))
        # Voicemails still at the provider are fetched again until sealed.
        worker.register(voicemail.settle_due, voicemail.RETRY_EVERY)
        # Receipts and replies to reporters who texted, through the event's provider.
        worker.reporter_text_senders["twilio"] = twilio.send_text
        worker.reporter_text_senders["gateway"] = texts.send_by_gateway
