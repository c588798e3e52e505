import logging

from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from ombud.api import auth, case_actions, cases, decisions, floods, intake, receipt, retention
from ombud.api.errors import ApiError
from ombud.cases.services import access
from ombud.cases.services.work import CaseActionError, StaleCase
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
api.add_router("", case_actions.router)
api.add_router("", decisions.router)
api.add_router("", floods.router)
api.add_router("", retention.router)
api.add_router("", retention.reporter_router)


@api.exception_handler(ApiError)
def _api_error(request, exc):
    return api.create_response(request, exc.body(), status=exc.status)


# The door's answers (cases.services.access), wherever an endpoint asked it.
@api.exception_handler(access.CaseNotFound)
def _not_found(request, exc):
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(access.DeclarationRequired)
def _declaration_required(request, exc):
    body = {
        "detail": _(
            "Declare that you have no conflict of interest in this case first: "
            "POST /api/v1/cases/%(case)s/declaration (or /recusal if you have one)."
        )
        % {"case": exc.case.pk},
        "code": "declaration_required",
        "case_id": str(exc.case.pk),
    }
    return api.create_response(request, body, status=409)


# A refused action: the service's reason, which never quotes content.
@api.exception_handler(CaseActionError)
def _refused(request, exc):
    code = "stale" if isinstance(exc, StaleCase) else "refused"
    return api.create_response(request, {"detail": str(exc), "code": code}, status=409)


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
    return api.create_response(request, {"detail": str(exc), "code": "key_unavailable"}, status=409)


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
