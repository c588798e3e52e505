import logging

from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from ombud.api import auth, cases, decisions, intake, receipt
from ombud.api.errors import ApiError
from ombud.vault.errors import KeyUnavailable, VaultError

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="Ombud API",
    version="1",
    description=(
        "Confidential Code-of-Conduct incident reporting and response. "
        "Anything the caller may not see answers 404, never 403."
    ),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url=None,
    auth=auth.BearerToken(),
)
api.add_router("", auth.router)
api.add_router("", intake.router)
api.add_router("", receipt.router)
api.add_router("", cases.router)
api.add_router("", decisions.router)


@api.exception_handler(ApiError)
def _api_error(request, exc):
    return api.create_response(request, {"detail": exc.detail}, status=exc.status)


@api.exception_handler(ValidationError)
def _validation_error(request, exc):
    # Error entries name fields and rules; the submitted values are left out.
    errors = [
        {k: v for k, v in error.items() if k not in {"input", "ctx", "url"}} for error in exc.errors
    ]
    return api.create_response(request, {"detail": errors}, status=422)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return api.create_response(
        request, {"detail": _("Send a valid bearer token (POST /api/v1/auth/token).")}, status=401
    )


@api.exception_handler(HttpError)
def _http_error(request, exc):
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return api.create_response(request, {"detail": _("The request body is too large.")}, status=413)


@api.exception_handler(KeyUnavailable)
def _key_unavailable(request, exc):
    # The caller may read the case, but their key does not open it (yet).
    return api.create_response(request, {"detail": str(exc)}, status=409)


@api.exception_handler(VaultError)
def _vault_error(request, exc):
    log.error("API request failed: the vault is unavailable (%s)", type(exc).__name__)
    return api.create_response(
        request,
        {
            "detail": _(
                "Ombud cannot open its vault right now. Report in person to any staff "
                "member, or call the event's emergency number if anyone is in danger."
            )
        },
        status=503,
    )
