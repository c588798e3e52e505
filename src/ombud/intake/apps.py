from datetime import timedelta

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "ombud.intake"
    label = "intake"

    def ready(self):
        from ombud.intake import held  # noqa: PLC0415
        from ombud.intake.services import forget_resend_boxes  # noqa: PLC0415
        from ombud.notify import worker  # noqa: PLC0415

        # Often enough that a staff-taken report's box (15 minutes) is gone soon after.
        worker.register(forget_resend_boxes, timedelta(minutes=5))
        worker.register(held.forget_expired, timedelta(minutes=5))
