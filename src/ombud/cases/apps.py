from datetime import timedelta

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "ombud.cases"
    label = "cases"

    def ready(self):
        # Roster changes re-check access explicitly (staff.services, events.services):
        # no signal receivers here, so each flow reads top to bottom.
        from ombud.cases.services import alerts, escalation, floods, promises  # noqa: PLC0415
        from ombud.notify import coalesce, worker  # noqa: PLC0415

        if alerts.unwanted not in worker.unwanted_checks:
            worker.unwanted_checks.append(alerts.unwanted)
        coalesce.classify = floods.subjects
        worker.register(floods.watch, timedelta(seconds=5))
        worker.register(floods.pause_duplicates, timedelta(seconds=5))
        worker.register(escalation.escalate_due, timedelta(0))
        worker.register(promises.remind_due, timedelta(minutes=5))
