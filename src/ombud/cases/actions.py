"""The case page's actions, in one table.

Each action names the form that takes it, the service that does it, what the
page says when it is done, and the same action's operation in the API: every
staff action on a case is also an API call (the access matrix fails when one
is missing from the API's schema). The decision panel's actions are the
decisions app's own views and table (``decisions.views.ACTIONS``).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ombud.cases import forms
from ombud.cases.models import Status
from ombud.cases.services import categories, links, respondents, team, triage, work
from ombud.web.forms import Form


@dataclass(frozen=True)
class CaseAction:
    name: str
    form: type
    run: Callable  # (case, the form's cleaned data, the user) -> what it made
    done: str
    api: str  # "METHOD /api/v1/… path" of the same action
    # The case page's disclosure section that holds the form ("": always shown).
    section: str = ""
    # Declaring and recusing come before the declaration; everything else reads the case.
    before_declaration: bool = False
    # After it the person may no longer see the case.
    leaves_case: Callable[[dict], bool] = lambda _data: False


def _person(data):
    person = get_user_model().objects.filter(pk=data["person"], is_active=True).first()
    if person is None:
        raise work.CaseActionError(_("That person cannot work on this case."))
    return person


def _declare(case, data, user):
    if data["choice"] != "no_conflict":
        return team.recuse_self(case, by=user)
    declaration = team.declare_no_conflict(case, by=user)
    if data["then"] == "acknowledge" and data["version"] and case.status == Status.NEW:
        work.acknowledge(case, by=user, expected_version=data["version"])
    return declaration


_CASE = "/api/v1/cases/{case_id}"
ACTIONS = {
    action.name: action
    for action in (
        CaseAction(
            "status",
            forms.StatusForm,
            lambda case, data, user: work.change_status(
                case,
                data["status"],
                by=user,
                expected_version=data["version"],
                closing_message=data["message"],
            ),
            gettext_lazy("Status changed."),
            f"POST {_CASE}/status",
        ),
        CaseAction(
            "note",
            forms.NoteForm,
            lambda case, data, user: work.add_note(
                case, data["text"], by=user, files=data["attachments"]
            ),
            gettext_lazy("Note added."),
            f"POST {_CASE}/notes",
            section="notes",
        ),
        CaseAction(
            "message",
            forms.MessageForm,
            lambda case, data, user: work.message_reporter(case, data["text"], by=user),
            gettext_lazy("Message sent to the reporter."),
            f"POST {_CASE}/messages",
            section="messages",
        ),
        CaseAction(
            "declare",
            forms.DeclareForm,
            _declare,
            gettext_lazy("Thank you. The case is open to you."),
            f"POST {_CASE}/declaration",
            before_declaration=True,
            leaves_case=lambda data: data["choice"] != "no_conflict",
        ),
        CaseAction(
            "recuse",
            Form,
            lambda case, data, user: team.recuse_self(case, by=user),
            gettext_lazy("You are recused from this case."),
            f"POST {_CASE}/recusal",
            section="conflict",
            before_declaration=True,
            leaves_case=lambda _data: True,
        ),
        CaseAction(
            "owner",
            forms.PersonForm,
            lambda case, data, user: team.assign_owner(
                case, _person(data), by=user, expected_version=data["version"]
            ),
            gettext_lazy("Owner changed."),
            f"POST {_CASE}/owner",
            section="team",
        ),
        CaseAction(
            "take",
            forms.VersionForm,
            lambda case, data, user: team.assign_owner(
                case, user, by=user, expected_version=data["version"]
            ),
            gettext_lazy("The case is yours."),
            f"POST {_CASE}/owner",
        ),
        CaseAction(
            "helper",
            forms.PersonForm,
            lambda case, data, user: team.add_helper(case, _person(data), by=user),
            gettext_lazy("Helper added."),
            f"POST {_CASE}/helpers",
            section="team",
        ),
        CaseAction(
            "safety",
            forms.SafetyForm,
            lambda case, data, user: team.record_safety_step(
                case, data["step"], by=user, danger_reason=data["reason"]
            ),
            gettext_lazy("Safety step recorded."),
            f"POST {_CASE}/safety-steps",
            section="safety",
        ),
        CaseAction(
            "interim",
            forms.InterimForm,
            lambda case, data, user: team.record_interim_action(case, data["text"], by=user),
            gettext_lazy("Interim action recorded; the team will review it."),
            f"POST {_CASE}/interim-actions",
            section="interim",
        ),
        CaseAction(
            "review",
            forms.ReviewForm,
            lambda case, data, user: team.review_interim_action(case, data["interim"], by=user),
            gettext_lazy("Interim action reviewed."),
            f"POST {_CASE}/interim-actions/{{action_id}}/review",
            section="interim",
        ),
        CaseAction(
            "account",
            forms.AccountForm,
            lambda case, data, user: work.record_account(
                case, data["given_by"], data["text"], by=user, person=data["person"]
            ),
            gettext_lazy("Account recorded."),
            f"POST {_CASE}/accounts",
            section="accounts",
        ),
        CaseAction(
            "link",
            forms.LinkForm,
            lambda case, data, user: links.link(case, data["code_name"], data["kind"], by=user),
            gettext_lazy("Cases linked."),
            f"POST {_CASE}/links",
            section="links",
        ),
        CaseAction(
            "respondent",
            forms.RespondentForm,
            lambda case, data, user: respondents.record(case, by=user, **data),
            gettext_lazy("Person reported recorded."),
            f"POST {_CASE}/respondents",
            section="respondent",
        ),
        CaseAction(
            "not_junk",
            forms.VersionForm,
            lambda case, data, user: triage.not_junk(case, by=user),
            gettext_lazy("The case is back in the queue."),
            f"POST {_CASE}/not-junk",
        ),
        CaseAction(
            "categories",
            forms.CategoriesForm,
            lambda case, data, user: categories.set_for_case(
                case, data["categories"], by=user, expected_version=data["version"]
            ),
            gettext_lazy("Categories saved."),
            f"POST {_CASE}/categories",
            section="categories",
        ),
    )
}


def section_tag(section: str) -> str:
    """The tag a message carries to keep its section of the case page open after the
    redirect, so what was just added is in view."""
    return f"section:{section}" if section else ""


def sections_tagged(tags: str) -> set[str]:
    return {tag.removeprefix("section:") for tag in tags.split() if tag.startswith("section:")}


# What else the case page offers, besides its actions and the decision panel's.
PAGE_OPERATIONS = {
    "read the case": f"GET {_CASE}",
    "printable summary": f"GET {_CASE}/summary",
    "download an attachment": f"GET {_CASE}/attachments/{{attachment_id}}",
    "access log": f"GET {_CASE}/access-log",
}
