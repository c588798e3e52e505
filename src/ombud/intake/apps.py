from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "ombud.intake"
    label = "intake"
