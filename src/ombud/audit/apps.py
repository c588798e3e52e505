from datetime import timedelta

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ombud.audit"
    label = "audit"

    def ready(self):
        from ombud.audit.services import log_head  # noqa: PLC0415 -- models load after apps
        from ombud.notify import worker  # noqa: PLC0415

        worker.register(log_head, timedelta(hours=1))
