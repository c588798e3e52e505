from django.apps import AppConfig


class DecisionsConfig(AppConfig):
    name = "ombud.decisions"
    label = "decisions"

    def ready(self):
        from ombud.cases import queries  # noqa: PLC0415 -- after apps load

        if _decisions_of not in queries.access_log_sources:
            queries.access_log_sources.append(_decisions_of)


def _decisions_of(case) -> list:
    """The case's decisions and their appeals, for the lead's access log."""
    from ombud.decisions.models import Appeal, Decision  # noqa: PLC0415

    decisions = list(Decision.objects.filter(case=case).values_list("pk", flat=True))
    return decisions + list(
        Appeal.objects.filter(decision__in=decisions).values_list("pk", flat=True)
    )
