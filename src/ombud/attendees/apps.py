from datetime import timedelta

from django.apps import AppConfig


class AttendeesConfig(AppConfig):
    name = "ombud.attendees"
    label = "attendees"

    def ready(self):
        from ombud.attendees.services import retention  # noqa: PLC0415 -- after apps load
        from ombud.notify import worker  # noqa: PLC0415 -- after apps load

        # Lists of events long over are deleted, as each organisation's retention policy says.
        worker.register(retention.purge_due, timedelta(hours=1))
