from datetime import timedelta

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ombud.web"
    label = "web"

    def ready(self):
        from ombud.notify import worker  # noqa: PLC0415
        from ombud.web import shared  # noqa: PLC0415

        worker.register(shared.forget_expired, timedelta(minutes=5))
