"""Every page Ombud serves, and how the browser tests reach each of its states in the
demo: who signs in, which ids fill the URL, which forms are then sent (and with what
mistakes). Plain data, so that ``tests/web/test_page_coverage.py`` can check, without a
browser, that no URL is left out.

The axe, reflow and keyboard tests walk these visits (``tests/browser/visits.py``).
Ids in braces (``{case_id}``) come from the world those tests set up in the demo:

- ``case_id``: a case the lead declared no conflict in and acknowledged, with a note
  and a message;
- ``new_case_id``: a case the lead has not opened yet (the declaration page);
- ``decided_case_id`` / ``receipt``: a case with a proposed outcome shown to its
  reporter, who holds ``receipt``;
- ``member_id``: the roster entry of the demo's staff member ``staff1``;
- ``intake_channel_id``: the demo event's reporting address (``report@pycon-demo.example``);
- the lead has an alert channel of their own (e-mail, primary);
- ``uidb64``: the account of the e-mailed password link the visitor opened;
- ``year``: the calendar year the demo event starts in;
- the event's and the year's transparency reports are published.
"""

import re
from dataclasses import dataclass, field

EVENT = "pycon-demo"
ORGANISATION = "pycon-demo-org"

# Who is signed in for a visit. None is a visitor (a reporter): no account.
VISITOR = None
LEAD = "chair"  # incident lead: the whole staff side of cases
ORGANISER = "admin"  # organiser admin: events, staff, settings
HALF_SIGNED_IN = "coordinator"  # gave the password, not yet the second factor
ROLES = (VISITOR, LEAD, ORGANISER, HALF_SIGNED_IN)

# What marks a page that shows a form's mistakes.
ERROR_MARKERS = ".errorlist, .error-summary, [role=alert], [aria-invalid=true]"


@dataclass(frozen=True)
class Submit:
    """Send the form ``form`` (a CSS selector) after setting its fields by name.

    Values are set as a script would (``maxlength`` and input types do not stop a
    value the server must refuse), and the browser's own checks are off, as in a
    browser without them: what is checked is the page the server answers with.
    A value ``True`` / ``False`` ticks or clears a checkbox.
    """

    form: str
    fill: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ForgetCookie:
    """Drop one cookie of the browser before the next step (an expired session)."""

    name: str


@dataclass(frozen=True)
class Visit:
    name: str | None  # the URL name; None for error pages that have none
    state: str  # what this visit shows: "empty", "with errors", …
    role: str | None = VISITOR
    kwargs: dict = field(default_factory=dict)
    query: str = ""
    path: str = ""  # only for pages without a URL name
    steps: tuple = ()  # Submit / ForgetCookie, in order, after loading the page
    errors: bool = False  # the page reached must show errors (ERROR_MARKERS)
    resend: bool = False  # the form comes back, as typed, to be sent again
    shows: str = ""  # a CSS selector the page reached must contain
    status: int = 200  # of the first GET
    # A state that exists once (a secret shown once) is checked in one language.
    languages: tuple = ("en", "ar")

    @property
    def label(self) -> str:
        return f"{self.name or self.path.split('?')[0]} [{self.state}]"

    @property
    def empty(self) -> bool:
        """The page as first loaded, before any form is sent."""
        return not self.steps


def _form_with(name: str, value: str = "") -> str:
    """The form holding field ``name`` (or the hidden ``name`` with ``value``)."""
    if value:
        return f'main form:has(input[name="{name}"][value="{value}"])'
    return f'main form:has([name="{name}"])'


_SLUG = {"slug": EVENT}
_ORG = {"org_slug": ORGANISATION}
_YEAR = {"org_slug": ORGANISATION, "year": "{year}"}
_CASE = {"case_id": "{case_id}"}
_MEMBER = {"slug": EVENT, "member_id": "{member_id}"}
_LINK = {"uidb64": "{uidb64}", "token": "set-password"}
_NEW_TEXTS = {"slug": EVENT, "kind": "sms"}
_INTAKE = {"slug": EVENT, "intake_channel_id": "{intake_channel_id}"}
_LONG = "x" * 4_100  # beyond the 4,000 characters a category list may have
# More fields than Django parses (DATA_UPLOAD_MAX_NUMBER_FIELDS): a 400, Ombud's own page.
_TOO_MANY_FIELDS = "&".join(f"f{n}=1" for n in range(301))

_REPORT_FORM = _form_with("what_happened")
_RECEIPT_FORM = _form_with("receipt")
_OPEN_REPORT = Submit(_RECEIPT_FORM, {"receipt": "{receipt}"})
_WITHDRAW_LINK = 'main form[action="/receipt/withdraw/"]'


def _mistakes(name, form, fill, *, state="with errors", role=VISITOR, before=(), **more) -> Visit:
    """The page after sending ``form`` with the mistakes in ``fill`` (after the steps
    ``before``): it must show them."""
    return Visit(name, state, role, steps=(*before, Submit(form, fill)), errors=True, **more)


VISITS: tuple[Visit, ...] = (
    # --- reporters: no account ---------------------------------------------------------
    Visit("home", "empty"),
    Visit("events:public", "empty", kwargs=_SLUG),
    Visit("intake:report", "empty", kwargs=_SLUG),
    Visit("intake:report", "someone in danger", kwargs=_SLUG, query="danger=yes"),
    _mistakes("intake:report", _REPORT_FORM, {"what_happened": "   "}, kwargs=_SLUG),
    Visit(
        "intake:report",
        "receipt",
        kwargs=_SLUG,
        steps=(Submit(_REPORT_FORM, {"what_happened": "A11Y: he kept following me."}),),
        shows="#receipt",
    ),
    Visit(
        "intake:report",
        "session expired, the report kept",
        kwargs=_SLUG,
        steps=(ForgetCookie("csrftoken"), Submit(_REPORT_FORM, {"what_happened": "A11Y: kept."})),
        shows="[role=alert]",
        resend=True,
    ),
    Visit("receipt:followup", "empty"),
    _mistakes("receipt:followup", _RECEIPT_FORM, {"receipt": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG"}),
    Visit("receipt:followup", "the report", steps=(_OPEN_REPORT,), shows=_form_with("text")),
    _mistakes(
        "receipt:followup",
        _form_with("action", "add"),
        {"text": ""},
        state="adding, with errors",
        before=(_OPEN_REPORT,),
    ),
    Visit(
        "receipt:followup",
        "information added",
        steps=(_OPEN_REPORT, Submit(_form_with("action", "add"), {"text": "A11Y: it was 10am."})),
        shows="[role=status]",
    ),
    _mistakes(
        "receipt:followup",
        _form_with("action", "comment"),
        {"comment": ""},
        state="commenting, with errors",
        before=(_OPEN_REPORT,),
    ),
    Visit(
        "receipt:followup",
        "withdrawal explained",
        steps=(_OPEN_REPORT, Submit(_WITHDRAW_LINK)),
        shows=_form_with("confirm_step"),
    ),
    _mistakes(
        "receipt:followup",
        _form_with("confirm_step"),
        {"confirm": False},
        state="withdrawing, not confirmed",
        before=(_OPEN_REPORT, Submit(_WITHDRAW_LINK)),
    ),
    Visit("accounts:login", "empty"),
    _mistakes("accounts:login", _form_with("username"), {"username": LEAD, "password": "not-it"}),
    Visit("accounts:forgot_password", "empty"),
    _mistakes("accounts:forgot_password", _form_with("email"), {"email": "not an address"}),
    Visit(
        "accounts:forgot_password",
        "link sent",
        steps=(Submit(_form_with("email"), {"email": "responder2@pycon-demo.example"}),),
    ),
    Visit(
        "accounts:forgot_password",
        "session expired: the CSRF failure page",
        steps=(ForgetCookie("csrftoken"), Submit(_form_with("email"), {"email": "a@b.example"})),
    ),
    Visit(
        "accounts:set_password",
        "link expired",
        kwargs={"uidb64": "MTIzNDU", "token": "cc8kq9-0123456789abcdef0123456789abcdef"},
    ),
    Visit("accounts:set_password", "empty", kwargs=_LINK, shows=_form_with("new_password1")),
    _mistakes(
        "accounts:set_password",
        _form_with("new_password1"),
        {"new_password1": "a", "new_password2": "b"},
        kwargs=_LINK,
    ),
    Visit("demo:mailbox", "empty"),
    Visit(None, "not found", path="/no-such-page/", status=404),
    Visit(None, "bad request", path=f"/e/{EVENT}/report/?{_TOO_MANY_FIELDS}", status=400),
    # --- an incident lead ---------------------------------------------------------------
    Visit("cases:dashboard", "empty", LEAD),
    Visit("cases:detail", "declaration", LEAD, kwargs={"case_id": "{new_case_id}"}),
    Visit("cases:detail", "the case", LEAD, kwargs=_CASE, shows=_form_with("text")),
    _mistakes(
        "cases:detail",
        _form_with("action", "note"),
        {"text": ""},
        state="a note, with errors",
        role=LEAD,
        kwargs=_CASE,
    ),
    Visit(
        "cases:detail",
        "a decision proposed",
        LEAD,
        kwargs={"case_id": "{decided_case_id}"},
        shows=".decision-panel, [aria-labelledby=decision-heading]",
    ),
    Visit("cases:summary", "empty", LEAD, kwargs=_CASE),
    Visit("cases:overview", "empty", LEAD, kwargs=_SLUG),
    Visit("cases:handover", "empty", LEAD, kwargs=_SLUG),
    Visit("cases:flood", "empty", LEAD, kwargs=_SLUG),
    Visit("cases:categories", "empty", LEAD, kwargs=_SLUG),
    _mistakes("cases:categories", _form_with("names"), {"names": _LONG}, role=LEAD, kwargs=_SLUG),
    Visit("decisions:propose", "empty", LEAD, kwargs=_CASE),
    _mistakes(
        "decisions:propose", _form_with("reasoning"), {"reasoning": ""}, role=LEAD, kwargs=_CASE
    ),
    # Refused by the service rather than the form: what was typed must survive that too.
    _mistakes(
        "decisions:propose",
        _form_with("reasoning"),
        {
            "consequence": "ban",
            "permanent": True,
            "reasoning": "A11Y: he did it again after a warning.",
            "to_respondent": "A11Y: you may not attend our events.",
            "to_reporter": "A11Y: he will not be back.",
        },
        state="a ban without the respondent's identity, refused",
        role=LEAD,
        kwargs=_CASE,
    ),
    Visit("decisions:desk_check", "empty", LEAD, kwargs=_SLUG),
    _mistakes("decisions:desk_check", _form_with("who"), {"who": ""}, role=LEAD, kwargs=_SLUG),
    Visit(
        "decisions:desk_check",
        "an answer",
        LEAD,
        kwargs=_SLUG,
        steps=(Submit(_form_with("who"), {"who": "Nobody We Know"}),),
        shows="[role=status]",
    ),
    Visit("staff:acknowledge", "empty", LEAD, kwargs=_SLUG),
    _mistakes(
        "staff:acknowledge", _form_with("confirm"), {"confirm": False}, role=LEAD, kwargs=_SLUG
    ),
    Visit("staff:take_report", "empty", LEAD, kwargs=_SLUG),
    _mistakes("staff:take_report", _REPORT_FORM, {"what_happened": "   "}, role=LEAD, kwargs=_SLUG),
    Visit(
        "staff:take_report",
        "the reporter's receipt",
        LEAD,
        kwargs=_SLUG,
        steps=(Submit(_REPORT_FORM, {"what_happened": "A11Y: taken at the desk."}),),
        shows="#receipt",
    ),
    _mistakes(
        "staff:take_report",
        _form_with("email-to"),
        {"email-to": "not an address"},
        state="the receipt, sent on with errors",
        role=LEAD,
        kwargs=_SLUG,
        before=(Submit(_REPORT_FORM, {"what_happened": "A11Y: told at the desk."}),),
    ),
    Visit(
        "staff:take_report",
        "the receipt, sent on by e-mail",
        LEAD,
        kwargs=_SLUG,
        steps=(
            Submit(_REPORT_FORM, {"what_happened": "A11Y: told at the desk, sent on."}),
            Submit(_form_with("email-to"), {"email-to": "reporter@pycon-demo.example"}),
        ),
        shows="#give-heading ~ [role=status]",
    ),
    Visit("staff:turned_away", "empty", LEAD, kwargs=_SLUG),
    # The event's transparency report: refused a threshold under 5, published again;
    # and its public page.
    Visit("transparency:event", "empty", LEAD, kwargs=_SLUG),
    _mistakes(
        "transparency:event",
        _form_with("prose"),
        {"prose": "A11Y: what we learned.", "threshold": "2"},
        role=LEAD,
        kwargs=_SLUG,
    ),
    Visit(
        "transparency:event",
        "published, with its preview",
        LEAD,
        kwargs=_SLUG,
        steps=(
            Submit(_form_with("prose"), {"prose": "A11Y: what we learned.", "threshold": "5"}),
            Submit(_form_with("action", "publish")),
        ),
        shows="#preview-heading",
    ),
    Visit("transparency:public_event", "published", kwargs=_SLUG),
    Visit("staff:rota", "empty", LEAD, kwargs=_SLUG),
    _mistakes(
        "staff:rota",
        _form_with("action", "shift"),
        {"shift-starts_at": ""},
        state="a shift, with errors",
        role=LEAD,
        kwargs=_SLUG,
    ),
    _mistakes(
        "staff:rota",
        _form_with("import-csv"),
        {"import-csv": "nobody, then, never"},
        state="an import, with errors",
        role=LEAD,
        kwargs=_SLUG,
    ),
    Visit("notify:channels", "empty", LEAD),
    _mistakes("notify:channels", _form_with("target"), {"kind": "email", "target": ""}, role=LEAD),
    Visit(
        "notify:channels",
        "a webhook's secret, shown once",
        LEAD,
        steps=(Submit(_form_with("target"), {"kind": "webhook", "target": "http://127.0.0.1:9/"}),),
        shows=".receipt",
    ),
    Visit("accounts:security", "empty", LEAD),
    _mistakes("accounts:security", _form_with("language"), {"language": "xx"}, role=LEAD),
    Visit("accounts:change_password", "empty", LEAD),
    _mistakes(
        "accounts:change_password", _form_with("old_password"), {"old_password": "x"}, role=LEAD
    ),
    Visit("accounts:recovery_codes", "empty", LEAD),
    Visit(
        "accounts:recovery_codes",
        "new codes, shown once",
        LEAD,
        steps=(Submit("main form"),),
        shows=".receipt",
    ),
    Visit("accounts:reauth", "empty", LEAD),
    _mistakes("accounts:reauth", _form_with("password"), {"password": "not-it"}, role=LEAD),
    Visit("accounts:setup_2fa", "empty", LEAD),
    _mistakes("accounts:setup_2fa", _form_with("code"), {"code": "12"}, role=LEAD),
    # --- signed in with the password, the second factor still to give -------------------
    Visit("accounts:verify", "empty", HALF_SIGNED_IN),
    _mistakes("accounts:verify", _form_with("code"), {"code": "12"}, role=HALF_SIGNED_IN),
    # --- an organiser admin -------------------------------------------------------------
    Visit("staff:manage", "empty", ORGANISER),
    Visit("staff:edit_organisation", "empty", ORGANISER, kwargs=_ORG),
    _mistakes(
        "staff:edit_organisation",
        _form_with("name"),
        {"name": "", "fallback_contact_email": "nope"},
        role=ORGANISER,
        kwargs=_ORG,
    ),
    Visit("staff:new_event", "empty", ORGANISER, kwargs=_ORG),
    _mistakes(
        "staff:new_event", _form_with("slug"), {"slug": "not a slug!"}, role=ORGANISER, kwargs=_ORG
    ),
    Visit("staff:edit_event", "empty", ORGANISER, kwargs=_SLUG),
    _mistakes(
        "staff:edit_event",
        _form_with("slug"),
        {"name": "", "emergency_number": "call me"},
        role=ORGANISER,
        kwargs=_SLUG,
    ),
    Visit("staff:event_texts", "empty", ORGANISER, kwargs={"slug": EVENT, "language": "de"}),
    Visit("staff:poster", "empty", ORGANISER, kwargs=_SLUG),
    Visit("staff:pocket_card", "empty", LEAD, kwargs=_SLUG),
    Visit("staff:roster", "empty", ORGANISER, kwargs=_SLUG),
    _mistakes(
        "staff:roster",
        _form_with("username"),
        {"username": "", "phone": "call me"},
        role=ORGANISER,
        kwargs=_SLUG,
    ),
    Visit("staff:member", "empty", ORGANISER, kwargs=_MEMBER),
    _mistakes(
        "staff:member",
        _form_with("action", "member"),
        {"member-phone": "call me"},
        state="the membership, with errors",
        role=ORGANISER,
        kwargs=_MEMBER,
    ),
    _mistakes(
        "staff:member",
        _form_with("action", "person"),
        {"person-email": "not an address"},
        state="name and e-mail, with errors",
        role=ORGANISER,
        kwargs=_MEMBER,
    ),
    _mistakes(
        "staff:member",
        _form_with("action", "shift"),
        {"shift-starts_at": ""},
        state="a shift, with errors",
        role=ORGANISER,
        kwargs=_MEMBER,
    ),
    Visit("staff:channels", "empty", ORGANISER, kwargs=_SLUG),
    Visit("staff:new_channel", "empty", ORGANISER, kwargs=_NEW_TEXTS),
    _mistakes(
        "staff:new_channel",
        _form_with("address"),
        {"address": "call me"},
        role=ORGANISER,
        kwargs=_NEW_TEXTS,
    ),
    Visit("staff:channel", "empty", ORGANISER, kwargs=_INTAKE),
    _mistakes(
        "staff:channel",
        _form_with("address"),
        {"address": "not an address"},
        role=ORGANISER,
        kwargs=_INTAKE,
    ),
    Visit("staff:briefings", "empty", ORGANISER, kwargs=_SLUG),
    _mistakes(
        "staff:briefings",
        _form_with("action", "briefing"),
        {"briefing-title": ""},
        role=ORGANISER,
        kwargs=_SLUG,
    ),
    Visit("decisions:rules", "empty", ORGANISER, kwargs=_SLUG),
    _mistakes(
        "decisions:rules",
        _form_with("ban_approvals"),
        {"ban_approvals": "-1"},
        role=ORGANISER,
        kwargs=_SLUG,
    ),
    Visit("attendees:lists", "empty", ORGANISER, kwargs=_SLUG),
    _mistakes(
        "attendees:lists",
        _form_with("pretix-organizer"),
        {"pretix-organizer": "not a slug"},
        role=ORGANISER,
        kwargs=_SLUG,
    ),
    _mistakes(
        "attendees:lists",
        _form_with("pretalx-remote_event"),
        {"pretalx-remote_event": ""},
        state="the pretalx form with errors",
        role=ORGANISER,
        kwargs=_SLUG,
    ),
    _mistakes(
        "attendees:lists",
        _form_with("csv-kind"),
        {},
        state="the CSV form without a file",
        role=ORGANISER,
        kwargs=_SLUG,
    ),
    Visit("attendees:ban_matches", "empty", LEAD, kwargs=_SLUG),
    Visit("staff:recovery_key", "none made yet", ORGANISER, kwargs=_ORG),
    Visit(
        "staff:recovery_key",
        "the key, shown once",
        ORGANISER,
        kwargs=_ORG,
        steps=(Submit("main form"),),
        shows=".receipt",
        # The organisation's key is made once: the Arabic pass sees it made (next visit).
        languages=("en",),
    ),
    Visit("staff:recovery_key", "made", ORGANISER, kwargs=_ORG),
    Visit("records:policy", "empty", ORGANISER, kwargs=_ORG),
    _mistakes(
        "records:policy",
        _form_with("months_no_action"),
        {"months_no_action": "0", "attendee_list_days": "9999"},
        role=ORGANISER,
        kwargs=_ORG,
    ),
    Visit("records:purges", "empty", LEAD, kwargs=_ORG),
    Visit(
        "records:purges",
        "listed",
        LEAD,
        kwargs=_ORG,
        steps=(Submit(_form_with("action", "preview")),),
        shows="[role=status], .messages, main p",
    ),
    Visit("records:case_retention", "empty", LEAD, kwargs=_CASE),
    Visit("staff:use_recovery_key", "empty", ORGANISER, kwargs=_ORG),
    Visit("transparency:organisation", "empty", ORGANISER, kwargs=_YEAR),
    _mistakes(
        "transparency:organisation",
        _form_with("prose"),
        {"prose": "A11Y: our year.", "threshold": "51"},
        role=ORGANISER,
        kwargs=_YEAR,
    ),
    Visit(
        "transparency:organisation",
        "published, with its preview",
        ORGANISER,
        kwargs=_YEAR,
        steps=(
            Submit(_form_with("prose"), {"prose": "A11Y: our year.", "threshold": "5"}),
            Submit(_form_with("action", "publish")),
        ),
        shows="#preview-heading",
    ),
    Visit("transparency:public_organisation", "published", kwargs=_YEAR),
    _mistakes(
        "staff:use_recovery_key",
        _form_with("recovery_key"),
        {"recovery_key": "not the key"},
        role=ORGANISER,
        kwargs=_ORG,
    ),
)

# URL names that are not pages, each with why no visit shows it.
NOT_PAGES: dict[str, str] = {
    "set_language": "POST only: sets the language cookie and redirects back",
    "receipt:save": "POST only: the receipt as a text file download",
    "accounts:logout": "POST only: signs out and redirects to the sign-in page",
    "cases:attachment": "a file download, never a page",
    "cases:retry_alert": "POST only: queues the alert again, redirects to the dashboard",
    "cases:confirm_key": "POST only: vouches for a key, redirects to the dashboard",
    "decisions:approve": "POST only: redirects to the case page (checked with a decision)",
    "decisions:make_final": "POST only: redirects to the case page",
    "decisions:withdraw": "POST only: redirects to the case page",
    "decisions:appeal": "POST only: redirects to the case page",
    "decisions:review": "POST only: redirects to the case page",
    "staff:delete_shift": "POST only: redirects to the member page",
    "attendees:import_pretix": "POST only: redirects to attendees:lists, or answers with that "
    "page showing the form's mistakes (visited there)",
    "attendees:import_pretalx": "POST only: as attendees:import_pretix",
    "attendees:import_csv": "POST only: as attendees:import_pretix",
    "staff:send_receipt": "POST only: answers with the receipt page of staff:take_report, "
    "visited there as “the receipt, sent on …”",
    "hooks:twilio_sms": "a provider's webhook: signed POSTs answered with TwiML, never a page",
    "hooks:twilio_voice": "a provider's webhook: signed POSTs answered with TwiML, never a page",
    "hooks:twilio_voice_step": "a step of the call: signed POSTs answered with TwiML",
    "hooks:gateway_sms": "an SMS gateway's webhook: signed JSON POSTs answered with JSON",
    "withdrawal:withdraw": "POST only (the receipt travels in the body): visited from "
    "receipt:followup as “withdrawal explained” and “withdrawing, not confirmed”",
    "ops:healthz": "JSON for probes (process alive), never a page",
    "ops:readyz": "JSON for probes (ready to take and alert reports), never a page",
    "ops:metrics": "Prometheus text for the operator's scraper, behind a token, never a page",
}

# Pages with a form that cannot be sent with a mistake, each with why.
NO_ERROR_STATE: dict[str, str] = {
    "staff:event_texts": "every text is optional and has no length limit",
    "cases:handover": "its one field (hours back) filters a GET; a bad value means the default",
    "records:purges": "its purge form shows only when a listed case is due today, and the "
    "demo's cases are open; its mistakes are checked in tests/records/test_pages.py",
    "records:case_retention": "its form shows only for a closed case with an expunge date, "
    "and the demo's cases are open; its mistakes are checked in tests/records/test_pages.py",
}


def filled(value, ids: dict):
    """``value`` with each ``{id}`` replaced by the world's id of that name."""
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), value)
    return value


def names() -> set[str]:
    """The URL names the visits cover."""
    return {visit.name for visit in VISITS if visit.name}


def with_error_state() -> set[str]:
    return {visit.name for visit in VISITS if visit.name and visit.errors}
