from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "ombud.notify"
    label = "notify"
