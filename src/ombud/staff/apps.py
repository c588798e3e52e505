from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "ombud.staff"
    label = "staff"
