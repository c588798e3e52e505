"""Shared field types and answers: strict, bounded bodies; every refusal documented."""

from typing import Annotated
from uuid import UUID

from ninja import Schema
from pydantic import AfterValidator, Field, StringConstraints


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


def _stripped(value: str) -> str:
    # Python's strip, as the forms do: pydantic's leaves some separators (U+001C-U+001F).
    return value.strip()


def _not_blank(value: str) -> str:
    if not value:
        raise ValueError("This field cannot be blank")
    return value


def text(limit: int, *, required: bool = False):
    constraints = StringConstraints(
        strip_whitespace=True, max_length=limit, min_length=1 if required else 0
    )
    validators = [AfterValidator(_no_nul), AfterValidator(_stripped)]
    if required:
        validators.append(AfterValidator(_not_blank))
    return Annotated[str, constraints, *validators]


NoNul = Annotated[str, AfterValidator(_no_nul)]


class Detail(Schema):
    """Why a request was refused, in one sentence."""

    detail: str


class Conflict(Schema):
    """A 409: the request cannot be done as things stand; ``code`` says why."""

    detail: str
    code: str = Field(
        description="declaration_required (declare no conflict of interest first: POST "
        "/api/v1/cases/{case_id}/declaration), stale (someone changed the case since the "
        "version you sent), refused (the action is not allowed now; detail says why) or "
        "key_unavailable (your key does not open this case yet)."
    )
    case_id: UUID | None = Field(default=None, description="The case, for declaration_required.")


class Refusal(Schema):
    """A 422: one sentence, or, for a body that failed validation, one entry per problem."""

    detail: str | list[dict] = Field(
        description="Why the request was refused: a sentence, or a list of {loc, msg, type}."
    )


def answers(ok: dict, *, body: bool = True, conflict: bool = True, public: bool = False) -> dict:
    """An operation's documented answers: ``ok`` plus every refusal it can give.

    400: the body is not JSON; 401: no valid bearer token; 404: nothing the caller may
    see (never 403); 409: see ``Conflict``; 422: the body breaks the schema.
    """
    found = {**ok, 404: Detail}
    if not public:
        found[401] = Detail
    if body:
        found |= {400: Detail, 422: Refusal}
    if conflict:
        found[409] = Conflict
    return found
