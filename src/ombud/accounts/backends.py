"""Signing in with a password Ombud set, and no other."""

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

log = logging.getLogger(__name__)


class CertifiedPasswordBackend(ModelBackend):
    """Django's password check, for hashes whose certificate holds
    (``User.password_certificate``): someone who can write the database but has no
    key file cannot set a password of their own choosing for an account, sign in
    with it, and so get a key pair that reports would be sealed to.

    The certificate is checked before the password: a check would upgrade an old
    hash and certify it anew."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user_model = get_user_model()
        username = username if username is not None else kwargs.get(user_model.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
        if user is None or not user.password_is_certified:
            if user is not None:
                log.error("sign-in refused: user %s has a password Ombud did not set", user.pk)
            user_model().set_password(password)  # as long as a real check takes
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
