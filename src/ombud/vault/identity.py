"""Keyed hashes of people's identifiers: to recognise the same person again without
storing who they are.

A name, badge number or e-mail address is normalised, then HMAC-SHA256'd with a
key derived from the server's key file for one purpose and one organisation, so
a database dump shows which rows name the same person but not who, and the hashes
of one purpose (the ban list) cannot be joined with another's (repeat reports).
"""

import hashlib
import hmac
import unicodedata

from ombud.vault import keys

NAME, BADGE, EMAIL = "name", "badge", "email"


def normalise_name(text: str) -> str:
    """Casefolded, NFKC, accents stripped, whitespace collapsed: "  JOSÉ  Ávila" = "jose avila"."""
    composed = unicodedata.normalize("NFKC", text or "")
    bare = "".join(
        ch for ch in unicodedata.normalize("NFKD", composed) if not unicodedata.combining(ch)
    )
    return " ".join(unicodedata.normalize("NFKC", bare).casefold().split())


def normalise_badge(text: str) -> str:
    """Upper case, letters and digits only: "b-77" = "B77"."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "").upper() if ch.isalnum())


def normalise_email(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().casefold()


NORMALISERS = {NAME: normalise_name, BADGE: normalise_badge, EMAIL: normalise_email}


def digest(purpose: str, organisation_id: int, kind: str, value: str) -> str:
    """The keyed hash of an already normalised identifier."""
    message = f"{organisation_id}\0{kind}\0{value}".encode()
    return hmac.new(keys.load().derived(purpose), message, hashlib.sha256).hexdigest()


def tags(purpose: str, organisation_id: int, *, name="", badge="", email="") -> list[tuple]:
    """(kind, keyed hash) of each identifier given, normalised first."""
    found = []
    for kind, raw in ((NAME, name), (BADGE, badge), (EMAIL, email)):
        value = NORMALISERS[kind](raw)
        if value:
            found.append((kind, digest(purpose, organisation_id, kind, value)))
    return found
