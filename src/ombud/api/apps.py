from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ombud.api"
    label = "api"
