from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ombud.web"
    label = "web"
