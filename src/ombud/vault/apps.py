from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "ombud.vault"
    label = "vault"
