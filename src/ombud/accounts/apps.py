import time

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class AccountsConfig(AppConfig):
    name = "ombud.accounts"
    label = "accounts"

    def ready(self):
        user_logged_in.connect(_stamp_session, dispatch_uid="stamp-session")


def _stamp_session(sender, request, user, **kwargs):
    # Read by accounts.middleware: which sign-out-everywhere this session predates,
    # when the password was last given, when the session was last used and begun.
    now = int(time.time())
    request.session["generation"] = user.session_generation
    request.session["auth_at"] = now
    request.session["seen_at"] = now
    request.session["signed_in_at"] = now  # the absolute limit counts from here
