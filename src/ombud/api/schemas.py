"""Shared field types for request bodies: strict, bounded, no NUL characters."""

from typing import Annotated

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


class Refusal(Schema):
    """A 422: one sentence, or, for a body that failed validation, one entry per problem."""

    detail: str | list[dict] = Field(
        description="Why the request was refused: a sentence, or a list of {loc, msg, type}."
    )
