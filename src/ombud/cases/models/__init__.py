"""Cases and what they hold (one module per part, all registered here)."""

from ombud.cases.models.case import (
    STAFF_CHANNELS,
    Case,
    Category,
    Channel,
    LawEnforcement,
    Recusal,
    Relation,
    Report,
    Status,
)
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
    "STAFF_CHANNELS",
    "Account",
    "Attachment",
    "Case",
    "CaseLink",
    "Category",
    "Channel",
    "Declaration",
    "Escalation",
    "InterimAction",
    "LawEnforcement",
    "Message",
    "Note",
    "Recusal",
    "Relation",
    "Report",
    "Respondent",
    "RespondentTag",
    "SafetyStep",
    "Status",
    "TimelineEntry",
]
