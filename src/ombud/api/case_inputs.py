"""What the response team's API takes: strict bodies, bounded text, no NUL bytes."""

from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

from ombud.api.schemas import NoNul, text
from ombud.cases.models import Account, CaseLink, SafetyStep, Status
from ombud.cases.services import team, work


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)


class VersionIn(_Strict):
    version: int = Field(ge=1, description="The case version you saw; stale versions get 409.")


class StatusIn(VersionIn):
    # An enum accepts its string values only outside strict mode.
    status: Status = Field(strict=False)
    message: text(work.TEXT_LIMIT) = Field(
        default="",
        description="Closing message to the reporter: needed to close when they can be reached.",
    )


class TextIn(_Strict):
    text: text(work.TEXT_LIMIT, required=True)


class MessageIn(TextIn):
    # A UUID arrives as a JSON string: strict mode would refuse every one.
    report_id: UUID | None = Field(default=None, strict=False)


class PersonIn(_Strict):
    username: str = Field(min_length=1, max_length=150)
    version: int | None = Field(
        default=None, ge=1, description="For the owner: the case version you saw (stale → 409)."
    )


class CategoriesIn(_Strict):
    categories: list[NoNul] = Field(max_length=40, description="Names of the event's categories.")
    version: int | None = Field(
        default=None, ge=1, description="The case version you saw (stale → 409)."
    )


class SafetyStepIn(_Strict):
    step: SafetyStep.Kind = Field(strict=False)
    reason: text(team.REASON_LIMIT) = Field(
        default="", description="Why someone is in danger now (for an unasked referral)."
    )


class AccountIn(_Strict):
    given_by: Account.GivenBy = Field(strict=False, description="Whose account it is.")
    text: text(work.TEXT_LIMIT, required=True)
    person: text(200) = Field(default="", description="Their name or how to tell them apart.")


class RespondentIn(_Strict):
    name: text(200) = ""
    badge: text(200) = ""
    email: text(200) = ""
    description: text(2000) = ""


class LinkIn(_Strict):
    code_name: text(64, required=True) = Field(description="The other case's code name.")
    kind: CaseLink.Kind = Field(default=CaseLink.Kind.DUPLICATE, strict=False)


class DeskCheckIn(_Strict):
    who: text(200, required=True) = Field(description="A name, badge number or e-mail address.")


class DeskCheckOut(Schema):
    answer: str = Field(description="no_match, or ask_a_lead: never who, why or until when.")
