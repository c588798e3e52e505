"""Attendee and speaker lists: import (``imports``), keep (``store``), match
(``matching``) and delete after the event (``retention``)."""

from ombud.attendees.services.matching import ban_matches, for_respondents, resolve
from ombud.attendees.services.retention import purge_expired

__all__ = ["ban_matches", "for_respondents", "purge_expired", "resolve"]
