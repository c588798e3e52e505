"""Shared field types for request bodies: strict, bounded, no NUL characters."""

from typing import Annotated

from pydantic import AfterValidator, StringConstraints


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


def text(limit: int, *, required: bool = False):
    constraints = StringConstraints(
        strip_whitespace=True, max_length=limit, min_length=1 if required else 0
    )
    return Annotated[str, constraints, AfterValidator(_no_nul)]
