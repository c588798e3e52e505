from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "ombud.records"
    label = "records"
