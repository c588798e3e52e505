"""Cases and what they hold (one module per part, all registered here)."""

from ombud.cases.models.case import (
    ORAL_CHANNELS,
    STAFF_CHANNELS,
    Case,
    Category,
    Channel,
    Confirmation,
    LawEnforcement,
    Recusal,
    Relation,
    RepliesTo,
    Report,
    Status,
)
from ombud.cases.models.flood import Flood
from ombud.cases.models.timeline import TimelineEntry
from ombud.cases.models.work import (
    Account,
    Attachment,
    CaseLink,
    Declaration,
    Escalation,
    InterimAction,
    Message,
    Note,
    Respondent,
    RespondentTag,
    SafetyStep,
)

__all__ = [
    "ORAL_CHANNELS",
    "STAFF_CHANNELS",
    "Account",
    "Attachment",
    "Case",
    "CaseLink",
    "Category",
    "Channel",
    "Confirmation",
    "Declaration",
    "Escalation",
    "Flood",
    "InterimAction",
    "LawEnforcement",
    "Message",
    "Note",
    "Recusal",
    "Relation",
    "RepliesTo",
    "Report",
    "Respondent",
    "RespondentTag",
    "SafetyStep",
    "Status",
    "TimelineEntry",
]
