from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "ombud.events"
    label = "events"
