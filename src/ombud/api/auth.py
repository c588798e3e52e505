from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.security import HttpBearer
from pydantic import ConfigDict, Field

from ombud.accounts import secondfactor, services, signin
from ombud.accounts.models import ApiToken
from ombud.api.errors import ApiError
from ombud.api.schemas import NoNul, Refusal
from ombud.vault import holders

router = Router(tags=["auth"])


def user_for_token(token: str):
    row = ApiToken.objects.for_token(token).select_related("user").first()
    if row is None:
        return None
    user = row.user
    user.vault_private = holders.open_for_token(token, user.pk, row.sealed_private)
    return user


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>`` from POST /auth/token."""

    def authenticate(self, request, token):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


def optional_user(request):
    """The bearer's user if a valid token was sent; a bad token is an error, not anonymity."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _sep, token = header.partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise ApiError(401, _("The bearer token is invalid or has expired."))
    return user


class Credentials(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)
    username: NoNul = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=1024)
    otp: str | None = Field(
        default=None,
        max_length=20,
        description="The code from the authenticator app (or a recovery code): required for "
        "responders, incident leads and organiser admins, and for everyone after too many "
        "failed sign-ins for the account.",
    )


class TokenOut(Schema):
    token: str
    token_type: str = "Bearer"
    expires_at: str


class Detail(Schema):
    detail: str


_RESPONSES = {
    401: {"description": "Wrong username or password, or a missing or wrong `otp`."},
    429: {
        "description": "Too many failed sign-ins for this account (from this address, or "
        "from anywhere). Until the limit ends only the password together with a valid `otp` "
        "gets a token, and every failure gets this same answer, whichever part was wrong. "
        "Also sent after a wrong code, when the authenticator wants a few seconds' wait."
    },
}


@router.post(
    "/auth/token",
    response={200: TokenOut, 400: Detail, 401: Detail, 422: Refusal, 429: Detail},
    auth=None,
    openapi_extra={"responses": _RESPONSES},
)
def issue_token(request, credentials: Credentials):
    """Exchange a username and password (and `otp`) for a bearer token (valid 12 hours).

    After too many failed sign-ins for an account, the password alone is refused
    (429): send it together with `otp`, a current code, and the token is issued.
    """
    username, password = credentials.username, credentials.password
    if signin.throttled(request, username):
        try:
            user, _device = signin.past_throttle(request, username, password, credentials.otp or "")
        except signin.Throttled:
            # The one answer to every failure past the limit (accounts.signin).
            detail = _(
                "Too many failed sign-ins for this account. To sign in now, send the "
                "password together with the current code from the authenticator app as 'otp'."
            )
            return Status(429, {"detail": detail})
    else:
        user = authenticate(request, username=username, password=password)
        if user is None:
            signin.failed(request, username)
            return Status(401, {"detail": _("Wrong username or password.")})
        try:
            second = (
                secondfactor.verify(user, credentials.otp)
                if secondfactor.required_for(user)
                else True
            )
        except secondfactor.TooSoon:
            return Status(429, {"detail": _("After a wrong code, wait a few seconds.")})
        if second is None:
            signin.failed(request, username)
            return Status(
                401, {"detail": _("A second factor is needed: send the current code as 'otp'.")}
            )
    row, token = services.issue_token(user, password)
    return Status(200, {"token": token, "expires_at": row.expires_at.isoformat()})


@router.delete("/auth/token", response={204: None, 401: Detail}, auth=BearerToken())
def revoke_token(request):
    """Revoke the token used for this request."""
    token = request.headers.get("Authorization", "").partition(" ")[2].strip()
    services.revoke_token(request.user, token)
    return Status(204, None)
