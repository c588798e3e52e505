from datetime import timedelta

from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "ombud.records"
    label = "records"

    def ready(self):
        from ombud.notify import worker  # noqa: PLC0415
        from ombud.records.services import purge  # noqa: PLC0415

        # Previews once a day, purges what week-old previews listed (services.purge).
        worker.register(purge.periodic, timedelta(hours=1))
