"""The access-control proof: every URL of the site and every API operation, for
every role, with the exact outcome the design requires (DESIGN.md §2 and §4).

How to read the tables: one row per URL pattern (by its name) or API operation
(by its OpenAPI path), one column per role, in the order of ``ROLES``. A cell
is the status code, or

- ``LOGIN``: 302 to ``/staff/login/?next=<the page>``;
- another ``Redirect``: 302 to exactly that page (ids filled in);
- ``READ``: 200 *and* the report's content is in the answer.

Every other answer, whatever its status, must not contain the report's content:
this is also a leak check. Anything a role may not see is 404 (never 403), so
not even the existence of a case, a report, an alert or a shift leaks.

The roles, against one case filed by staff for a reporter, naming a responder
and a lead (so both are recused from it):

- ``anonymous``: nobody; no session, no token.
- ``reporter``: anonymous, plus the case's receipt in every POST body (pages)
  and in the ``X-Receipt`` header (API). A receipt opens the follow-up and
  nothing else.
- ``staff``: event volunteer; took the report, so may follow its status.
- ``responder`` / ``recused_resp``: response team; the second is named in it.
- ``undeclared``: a responder who may see the case but has not yet declared "no
  conflict of interest" in it: the case's code name and the declaration, nothing
  more (pages ask for the declaration, the API answers 409).
- ``lead`` / ``recused_lead``: incident leads; the second is named in it.
- ``admin``: organiser admin of the event's organisation, not on its staff.
- ``desk``: registration desk.
- ``other_lead``: an incident lead of another event.

Pages are requested with the role's session (signed in with password and second
factor); API operations with the role's bearer token from ``POST
/api/v1/auth/token``, and no session. Requests come from an internet address
(the demo mailbox has a row from the loopback address too).

Each cell is one test (``pytest -k "cases:detail and recused_lead"``). A cell
whose current behaviour differs from the design is marked in ``DEFECTS`` with
a strict xfail: the table keeps the *correct* outcome, and the mark has to go
when the fix lands.

The completeness guard (``test_every_url_and_api_operation_has_a_row``) walks
the URL resolver and the OpenAPI schema: a new URL or operation without a row
here fails the build until someone decides who may reach it.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from ombud.accounts.services import password_link_path
from ombud.cases.services import team
from ombud.cases.services.access import case_key
from ombud.cases.services.attachments import CheckedFile
from ombud.decisions.models import Decision
from ombud.intake.channels import config as intake_config
from ombud.intake.models import IntakeChannel
from ombud.notify.channels import config as channel_config
from ombud.notify.models import AlertChannel, OutboxMessage
from ombud.staff.models import Briefing, DutyShift, Role
from tests import factories
from tests.security.worlds import rolled_back

CANARY = "MATRIXCANARY-5b1e"
INTERNET = "203.0.113.7"  # TEST-NET-3: a visitor from somewhere else
LOOPBACK = "127.0.0.1"

ROLES = (
    "anonymous",
    "reporter",
    "staff",
    "responder",
    "undeclared",
    "recused_resp",
    "lead",
    "recused_lead",
    "admin",
    "desk",
    "other_lead",
)
# Role -> the persona of tests.factories.personas() it signs in as.
PERSONAS = {
    "staff": "staff",
    "responder": "responder",
    "undeclared": "undecided",
    "recused_resp": "responder_off",
    "lead": "lead",
    "recused_lead": "lead2",
    "admin": "admin",
    "desk": "desk",
    "other_lead": "outsider",
}


@dataclass(frozen=True)
class Redirect:
    target: str  # with {ids} of the world filled in
    prefix: bool = False

    def __repr__(self):
        return f"302 to {self.target}{'…' if self.prefix else ''}"


class _Read:
    def __repr__(self):
        return "200 with the report's content"


READ = _Read()
LOGIN = Redirect("/staff/login/?next=", prefix=True)
SIGNIN = Redirect("/staff/login/")  # after signing out
HOME = Redirect("/")
DASH = Redirect("/staff/")
CASE = Redirect("/staff/cases/{case_id}/")
SETPW = Redirect("/staff/password/set/{uidb64}/set-password/")
CHANS = Redirect("/staff/channels/")
ROTA = Redirect("/staff/events/conf/rota/")
MEMBER = Redirect("/staff/manage/events/conf/staff/{member_id}/")
BRIEFS = Redirect("/staff/manage/events/conf/briefings/")
SETS = Redirect("/staff/manage/events/conf/categories/")
TREPORT = Redirect("/staff/events/conf/transparency/")
TYEAR = Redirect("/staff/manage/org/conf-org/transparency/{year}/")

# Page views, by URL name. A method key may carry a variant after the verb
# (see VARIANTS); POST bodies are in POST_DATA (default: an empty POST).
# fmt: off
PAGES = {
    # column:             anon   reporter staff resp  undecl r-resp lead  r-lead admin desk  other
    "home": {
        "GET":            (200,   200,   200,   200,   200,   200,   200,   200,
                           200,   200,   200),
    },
    "events:public": {
        "GET":            (200,   200,   200,   200,   200,   200,   200,   200,
                           200,   200,   200),
    },
    "intake:report": {
        "GET":            (200,   200,   200,   200,   200,   200,   200,   200,
                           200,   200,   200),
        "POST":           (400,   400,   400,   400,   400,   400,   400,   400,
                           400,   400,   400),
    },
    "receipt:followup": {
        "GET":            (200,   200,   200,   200,   200,   200,   200,   200,
                           200,   200,   200),
        "POST":           (400,   READ,  400,   400,   400,   400,   400,   400,
                           400,   400,   400),
    },
    "receipt:save": {
        # Only echoes a receipt sent to it, as a file: nothing is looked up.
        "GET":            (405,   405,   405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (400,   200,   400,   400,   400,   400,   400,   400,
                           400,   400,   400),
    },
    "hooks:twilio_sms": {
        # A provider's webhook: heard only when signed with the channel's secret.
        "GET":            (405,   405,   405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (403,   403,   403,   403,   403,   403,   403,   403,
                           403,   403,   403),
    },
    "hooks:twilio_voice": {
        # A provider's webhook: heard only when signed with the channel's secret.
        "GET":            (405,   405,   405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (403,   403,   403,   403,   403,   403,   403,   403,
                           403,   403,   403),
    },
    "hooks:twilio_voice_step": {
        # A provider's webhook: heard only when signed with the channel's secret.
        "GET":            (405,   405,   405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (403,   403,   403,   403,   403,   403,   403,   403,
                           403,   403,   403),
    },
    "hooks:gateway_sms": {
        # A provider's webhook: heard only when signed with the channel's secret.
        "GET":            (405,   405,   405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (403,   403,   403,   403,   403,   403,   403,   403,
                           403,   403,   403),
    },
    "set_language": {
        # Chooses how pages read, for anyone; changes nothing else.
        "GET":            (405,   405,   405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (HOME,  HOME,  HOME,  HOME,  HOME,  HOME,  HOME,  HOME,
                           HOME,  HOME,  HOME),
    },
    "ops:healthz": {
        # The process is alive: the same for everyone, nothing about any report.
        "GET":            (200,   200,   200,   200,   200,   200,   200,   200,
                           200,   200,   200),
        "POST":           (405,   405,   405,   405,   405,   405,   405,   405,
                           405,   405,   405),
    },
    "ops:readyz": {
        # No worker beats in the test world: not ready, the same answer for everyone.
        "GET":            (503,   503,   503,   503,   503,   503,   503,   503,
                           503,   503,   503),
        "POST":           (405,   405,   405,   405,   405,   405,   405,   405,
                           405,   405,   405),
    },
    "ops:metrics": {
        # Only with OMBUD_METRICS_TOKEN (unset here: off); a session opens nothing.
        "GET":            (404,   404,   404,   404,   404,   404,   404,   404,
                           404,   404,   404),
        "POST":           (405,   405,   405,   405,   405,   405,   405,   405,
                           405,   405,   405),
    },
    "accounts:login": {
        "GET":            (200,   200,   DASH,  DASH,  DASH,  DASH,  DASH,  DASH,
                           DASH,  DASH,  DASH),
        "POST":           (200,   200,   DASH,  DASH,  DASH,  DASH,  DASH,  DASH,
                           DASH,  DASH,  DASH),
    },
    "accounts:logout": {
        "GET":            (405,   405,   405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (SIGNIN, SIGNIN, SIGNIN, SIGNIN, SIGNIN, SIGNIN, SIGNIN, SIGNIN,
                           SIGNIN, SIGNIN, SIGNIN),
    },
    "accounts:verify": {
        "GET":            (LOGIN, LOGIN, DASH,  DASH,  DASH,  DASH,  DASH,  DASH,
                           DASH,  DASH,  DASH),
        "POST":           (LOGIN, LOGIN, DASH,  DASH,  DASH,  DASH,  DASH,  DASH,
                           DASH,  DASH,  DASH),
    },
    "accounts:reauth": {
        "GET":            (LOGIN, LOGIN, 200,   200,   200,   200,   200,   200,
                           200,   200,   200),
        "POST":           (LOGIN, LOGIN, 400,   400,   400,   400,   400,   400,
                           400,   400,   400),
    },
    "accounts:setup_2fa": {
        "GET":            (LOGIN, LOGIN, 200,   200,   200,   200,   200,   200,
                           200,   200,   200),
        "POST":           (LOGIN, LOGIN, 400,   400,   400,   400,   400,   400,
                           400,   400,   400),
    },
    "accounts:security": {
        "GET":            (LOGIN, LOGIN, 200,   200,   200,   200,   200,   200,
                           200,   200,   200),
        "POST":           (LOGIN, LOGIN, 200,   200,   200,   200,   200,   200,
                           200,   200,   200),
    },
    "accounts:change_password": {
        "GET":            (LOGIN, LOGIN, 200,   200,   200,   200,   200,   200,
                           200,   200,   200),
        "POST":           (LOGIN, LOGIN, 400,   400,   400,   400,   400,   400,
                           400,   400,   400),
    },
    "accounts:recovery_codes": {
        "GET":            (LOGIN, LOGIN, 200,   200,   200,   200,   200,   200,
                           200,   200,   200),
        "POST":           (LOGIN, LOGIN, 200,   200,   200,   200,   200,   200,
                           200,   200,   200),
    },
    "accounts:forgot_password": {
        "GET":            (200,   200,   200,   200,   200,   200,   200,   200,
                           200,   200,   200),
        "POST":           (200,   200,   200,   200,   200,   200,   200,   200,
                           200,   200,   200),
    },
    "accounts:set_password": {
        # A valid emailed link moves its token out of the URL, for anyone holding it.
        "GET":            (SETPW, SETPW, SETPW, SETPW, SETPW, SETPW, SETPW, SETPW,
                           SETPW, SETPW, SETPW),
        "POST":           (SETPW, SETPW, SETPW, SETPW, SETPW, SETPW, SETPW, SETPW,
                           SETPW, SETPW, SETPW),
        "GET bad link":   (200,   200,   200,   200,   200,   200,   200,   200,
                           200,   200,   200),
    },
    "cases:dashboard": {
        "GET":            (LOGIN, LOGIN, 200,   200,   200,   200,   200,   200,
                           200,   200,   200),
    },
    "cases:detail": {
        "GET":            (LOGIN, LOGIN, 404,   READ,  200,   404,   READ,  404,
                           404,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   CASE,  409,   404,   CASE,  404,
                           404,   404,   404),
    },
    "cases:summary": {
        # Printable and audited: the case's leads only.
        "GET":            (LOGIN, LOGIN, 404,   404,   CASE,  404,   READ,  404,
                           404,   404,   404),
    },
    "cases:overview": {
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   200,   200,
                           404,   404,   404),
    },
    "cases:flood": {
        # A flood's triage: the event's incident leads (a recused one sees no group
        # holding the case, and cannot put it back).
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   200,   200,
                           404,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   400,   400,
                           404,   404,   404),
    },
    "cases:handover": {
        "GET":            (LOGIN, LOGIN, 404,   200,   200,   200,   200,   200,
                           404,   404,   404),
    },
    "cases:categories": {
        # The event's organiser admins and incident leads (recused or not: not about a case).
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   200,   200,
                           200,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   SETS,  SETS,
                           SETS,  404,   404),
    },
    "cases:attachment": {
        # Always a download; the reporter gets theirs through the follow-up page (POST).
        "GET":            (LOGIN, LOGIN, 404,   READ,  CASE,  404,   READ,  404,
                           404,   404,   404),
    },
    "cases:retry_alert": {
        "GET":            (LOGIN, LOGIN, 405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   DASH,  404,
                           404,   404,   404),
    },
    "cases:confirm_key": {
        # Vouching for a case worker's key: the event's leads and its organiser admins.
        "GET":            (LOGIN, LOGIN, 405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   DASH,  DASH,
                           DASH,  404,   404),
    },
    "decisions:propose": {
        "GET":            (LOGIN, LOGIN, 404,   200,   CASE,  404,   200,   404,
                           404,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   400,   CASE,  404,   400,   404,
                           404,   404,   404),
    },
    "decisions:approve": {
        "GET":            (LOGIN, LOGIN, 405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (LOGIN, LOGIN, 404,   CASE,  CASE,  404,   CASE,  404,
                           404,   404,   404),
    },
    "decisions:make_final": {
        "GET":            (LOGIN, LOGIN, 405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (LOGIN, LOGIN, 404,   CASE,  CASE,  404,   CASE,  404,
                           404,   404,   404),
    },
    "decisions:withdraw": {
        "GET":            (LOGIN, LOGIN, 405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (LOGIN, LOGIN, 404,   CASE,  CASE,  404,   CASE,  404,
                           404,   404,   404),
    },
    "decisions:appeal": {
        "GET":            (LOGIN, LOGIN, 405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (LOGIN, LOGIN, 404,   CASE,  CASE,  404,   CASE,  404,
                           404,   404,   404),
    },
    "decisions:review": {
        "GET":            (LOGIN, LOGIN, 405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (LOGIN, LOGIN, 404,   CASE,  CASE,  404,   CASE,  404,
                           404,   404,   404),
    },
    "decisions:rules": {
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           400,   404,   404),
    },
    "decisions:desk_check": {
        # Not about one case: the recused lead is a lead of the event all the same.
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   200,   200,
                           404,   200,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   400,   400,
                           404,   400,   404),
    },
    "attendees:lists": {
        # The event's attendee and speaker lists (counts, sources): leads and organiser admins.
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   200,   200,
                           200,   404,   404),
    },
    "attendees:import_pretix": {
        "GET":            (LOGIN, LOGIN, 405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   400,   400,
                           400,   404,   404),
    },
    "attendees:import_pretalx": {
        "GET":            (LOGIN, LOGIN, 405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   400,   400,
                           400,   404,   404),
    },
    "attendees:import_csv": {
        "GET":            (LOGIN, LOGIN, 405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   400,   400,
                           400,   404,   404),
    },
    "attendees:ban_matches": {
        # Who on the lists is on the ban list: the event's incident leads only.
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   200,   200,
                           404,   404,   404),
    },
    "staff:acknowledge": {
        "GET":            (LOGIN, LOGIN, 200,   200,   200,   200,   200,   200,
                           404,   200,   404),
        "POST":           (LOGIN, LOGIN, DASH,  DASH,  DASH,  DASH,  DASH,  DASH,
                           404,   DASH,  404),
    },
    "staff:take_report": {
        "GET":            (LOGIN, LOGIN, 200,   200,   200,   200,   200,   200,
                           404,   200,   404),
        "POST":           (LOGIN, LOGIN, 400,   400,   400,   400,   400,   400,
                           404,   400,   404),
    },
    "staff:rota": {
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   200,   200,
                           200,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   ROTA,  ROTA,
                           ROTA,  404,   404),
    },
    "staff:manage": {
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
    },
    "staff:edit_organisation": {
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           400,   404,   404),
    },
    "staff:recovery_key": {
        # The POST makes the key and shows its private half once (re-auth is recent here).
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
    },
    "staff:use_recovery_key": {
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           400,   404,   404),
    },
    "staff:new_event": {
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           400,   404,   404),
    },
    "staff:edit_event": {
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           400,   404,   404),
    },
    "staff:event_texts": {
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           302,   404,   404),
    },
    "staff:roster": {
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           400,   404,   404),
    },
    "staff:member": {
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
    },
    "staff:delete_shift": {
        "GET":            (LOGIN, LOGIN, 405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           MEMBER, 404,   404),
    },
    "staff:briefings": {
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           BRIEFS, 404,   404),
    },
    "staff:send_receipt": {
        # Only the staff member who took the report, with its receipt, while the
        # reporter is with them.
        "GET":            (LOGIN, LOGIN, 405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (LOGIN, LOGIN, 200,   404,   404,   404,   404,   404,
                           404,   404,   404),
    },
    "staff:turned_away": {
        # Counts of what the event's channels did not file: its incident leads.
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   200,   200,
                           404,   404,   404),
    },
    "staff:channels": {
        # The event's reporting channels: set up by its organiser admins.
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
    },
    "staff:new_channel": {
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           400,   404,   404),
    },
    "staff:channel": {
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           400,   404,   404),
    },
    "staff:poster": {
        # For the venue's walls: the event's leads and its organiser admins print it.
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   200,   200,
                           200,   404,   404),
    },
    "transparency:public_event": {
        # Not published in this world: a 404 for everyone, as for an unknown event.
        "GET":            (404,   404,   404,   404,   404,   404,   404,   404,
                           404,   404,   404),
    },
    "transparency:public_organisation": {
        "GET":            (404,   404,   404,   404,   404,   404,   404,   404,
                           404,   404,   404),
    },
    "transparency:event": {
        # The event's incident leads draft and publish it; numbers only, no content.
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   200,   200,
                           404,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   TREPORT, TREPORT,
                           404,   404,   404),
    },
    "transparency:organisation": {
        # The organisation-year's report is its organiser admins'.
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           TYEAR, 404,   404),
    },
    "staff:pocket_card": {
        # Everyone on the event's staff (it lists the leads' phones), and its admins.
        "GET":            (LOGIN, LOGIN, 200,   200,   200,   200,   200,   200,
                           200,   200,   404),
    },
    "notify:channels": {
        # The POST toggles the responder's own channel: nobody else's to touch.
        "GET":            (LOGIN, LOGIN, 200,   200,   200,   200,   200,   200,
                           200,   200,   200),
        "POST":           (LOGIN, LOGIN, 404,   CHANS, 404,   404,   404,   404,
                           404,   404,   404),
    },
    "withdrawal:withdraw": {
        # Only a receipt's holder; without the confirmation it explains, changes nothing.
        "GET":            (405,   405,   405,   405,   405,   405,   405,   405,
                           405,   405,   405),
        "POST":           (400,   200,   400,   400,   400,   400,   400,   400,
                           400,   400,   400),
    },
    "records:policy": {
        # The retention policy is an organisation setting: its organiser admins.
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           200,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   404,   404,
                           400,   404,   404),
    },
    "records:purges": {
        # The organisation's incident leads; a recused lead sees the case as a count.
        "GET":            (LOGIN, LOGIN, 404,   404,   404,   404,   200,   200,
                           404,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   404,   404,   400,   400,
                           404,   404,   404),
    },
    "records:case_retention": {
        # Keeping a case longer: the case's leads, through the door.
        "GET":            (LOGIN, LOGIN, 404,   404,   CASE,  404,   200,   404,
                           404,   404,   404),
        "POST":           (LOGIN, LOGIN, 404,   404,   CASE,  404,   400,   404,
                           404,   404,   404),
    },
    "demo:mailbox": {
        # Invitations and password links are in it: only to the demo's own computer.
        "GET":            (404,   404,   404,   404,   404,   404,   404,   404,
                           404,   404,   404),
        "GET from loopback": (200,   200,   200,   200,   200,   200,   200,   200,
                              200,   200,   200),
    },
    "api:openapi-json": {
        "GET":            (200,   200,   200,   200,   200,   200,   200,   200,
                           200,   200,   200),
    },
    "api:api-root": {
        "GET":            (404,   404,   404,   404,   404,   404,   404,   404,
                           404,   404,   404),
    },
}

# API operations, by OpenAPI path and method; bodies are in API_BODIES.
API = {
    # column:             anon   reporter staff resp  undecl r-resp lead  r-lead admin desk  other
    "/api/v1/auth/token": {
        "POST":           (401,   401,   200,   200,   200,   200,   200,   200,
                           200,   200,   200),
        "DELETE":         (401,   401,   204,   204,   204,   204,   204,   204,
                           204,   204,   204),
    },
    "/api/v1/events/{event}": {
        "GET":            (200,   200,   200,   200,   200,   200,   200,   200,
                           200,   200,   200),
    },
    "/api/v1/events/{event}/reports": {
        # With a token, the report is taken by that staff member: only the event's own.
        "POST":           (201,   201,   201,   201,   201,   201,   201,   201,
                           404,   201,   404),
    },
    "/api/v1/receipt": {
        "GET":            (401,   READ,  401,   401,   401,   401,   401,   401,
                           401,   401,   401),
    },
    "/api/v1/receipt/messages": {
        "POST":           (401,   201,   401,   401,   401,   401,   401,   401,
                           401,   401,   401),
    },
    "/api/v1/me": {
        "GET":            (401,   401,   200,   200,   200,   200,   200,   200,
                           200,   200,   200),
    },
    "/api/v1/reports": {
        "GET":            (401,   401,   200,   200,   200,   200,   200,   200,
                           200,   200,   200),
    },
    "/api/v1/reports/{report_id}": {
        # Staff took it: its status (200, no content), nothing more.
        "GET":            (401,   401,   200,   READ,  409,   404,   READ,  404,
                           404,   404,   404),
    },
    "/api/v1/cases": {
        "GET":            (401,   401,   200,   200,   200,   200,   200,   200,
                           200,   200,   200),
    },
    "/api/v1/cases/{case_id}": {
        "GET":            (401,   401,   404,   READ,  409,   404,   READ,  404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/acknowledge": {
        "POST":           (401,   401,   404,   READ,  409,   404,   READ,  404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/status": {
        "POST":           (401,   401,   404,   READ,  409,   404,   READ,  404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/declaration": {
        "POST":           (401,   401,   404,   READ,  READ,  404,   READ,  404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/recusal": {
        "POST":           (401,   401,   404,   200,   200,   404,   200,   404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/owner": {
        # Taking the unowned case themselves.
        "POST":           (401,   401,   404,   READ,  409,   404,   READ,  404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/categories": {
        "POST":           (401,   401,   404,   READ,  409,   404,   READ,  404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/helpers": {
        # Adding the responder: the owner's or a lead's to do.
        "POST":           (401,   401,   404,   409,   409,   404,   READ,  404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/safety-steps": {
        "POST":           (401,   401,   404,   201,   409,   404,   201,   404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/interim-actions": {
        "POST":           (401,   401,   404,   201,   409,   404,   201,   404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/interim-actions/{action_id}/review": {
        # The lead took the action: someone else reviews it.
        "POST":           (401,   401,   404,   READ,  409,   404,   409,   404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/decisions": {
        # The world's case is new, with the lead's proposal waiting: no second one.
        "GET":            (401,   401,   404,   READ,  409,   404,   READ,  404,
                           404,   404,   404),
        "POST":           (401,   401,   404,   409,   409,   404,   409,   404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/decisions/{decision_id}/approve": {
        # Nobody approves their own proposal.
        "POST":           (401,   401,   404,   READ,  409,   404,   409,   404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/decisions/{decision_id}/final": {
        # A new case cannot be decided.
        "POST":           (401,   401,   404,   409,   409,   404,   409,   404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/decisions/{decision_id}/withdraw": {
        # Its proposer or a lead.
        "POST":           (401,   401,   404,   409,   409,   404,   READ,  404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/decisions/{decision_id}/appeal": {
        # Only a final decision is appealed.
        "POST":           (401,   401,   404,   409,   409,   404,   409,   404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/decisions/{decision_id}/appeal/review": {
        "POST":           (401,   401,   404,   404,   409,   404,   404,   404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/notes": {
        "POST":           (401,   401,   404,   201,   409,   404,   201,   404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/accounts": {
        "POST":           (401,   401,   404,   201,   409,   404,   201,   404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/respondents": {
        "POST":           (401,   401,   404,   201,   409,   404,   201,   404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/links": {
        "POST":           (401,   401,   404,   201,   409,   404,   201,   404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/summary": {
        # The printable summary as JSON: leads only, audited as an export.
        "GET":            (401,   401,   404,   404,   409,   404,   READ,  404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/attachments/{attachment_id}": {
        "GET":            (401,   401,   404,   READ,  409,   404,   READ,  404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/access-log": {
        "GET":            (401,   401,   404,   404,   409,   404,   200,   404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/messages": {
        "POST":           (401,   401,   404,   201,   409,   404,   201,   404,
                           404,   404,   404),
    },
    "/api/v1/events/{event}/flood": {
        "GET":            (401,   401,   404,   404,   404,   404,   200,   200,
                           404,   404,   404),
    },
    "/api/v1/events/{event}/flood/junk": {
        # The group named is not there (the world has no flood): refused, nothing marked.
        "POST":           (401,   401,   404,   404,   404,   404,   409,   409,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/not-junk": {
        # Leads only, and the world's case is not junk: refused either way.
        "POST":           (401,   401,   404,   409,   409,   404,   409,   404,
                           404,   404,   404),
    },
    "/api/v1/events/{event}/desk-check": {
        # As the desk check page: the event's registration desk and its leads.
        "POST":           (401,   401,   404,   404,   404,   404,   200,   200,
                           404,   200,   404),
    },
    "/api/v1/receipt/confirmation": {
        # Only the receipt's holder; the world's report was taken down in person.
        "POST":           (401,   201,   401,   401,   401,   401,   401,   401,
                           401,   401,   401),
    },
    "/api/v1/receipt/correction": {
        "POST":           (401,   201,   401,   401,   401,   401,   401,   401,
                           401,   401,   401),
    },
    "/api/v1/receipt/replies": {
        "POST":           (401,   200,   401,   401,   401,   401,   401,   401,
                           401,   401,   401),
    },
    "/api/v1/reports/{report_id}/receipt": {
        # Only the staff member who took the report, with its receipt.
        "POST":           (401,   401,   202,   404,   404,   404,   404,   404,
                           404,   404,   404),
    },
    "/api/v1/cases/{case_id}/retention": {
        # The case's leads; the world's case is open: nothing to extend yet.
        "POST":           (401,   401,   404,   404,   409,   404,   409,   404,
                           404,   404,   404),
    },
    "/api/v1/receipt/withdrawal": {
        # Only the receipt's holder.
        "POST":           (401,   200,   401,   401,   401,   401,   401,   401,
                           401,   401,   401),
    },
    "/api/v1/receipt/replace": {
        # Only the receipt's holder; the staff member who took the report saw it, and
        # this is how the reporter takes it back.
        "POST":           (401,   201,   401,   401,   401,   401,   401,   401,
                           401,   401,   401),
    },
}
# fmt: on

# What is posted; "{name}" is replaced by the world's id of that name. The
# reporter's POSTs also carry their receipt. Rows not listed post nothing.
POST_DATA = {
    ("receipt:followup", "POST"): {},
    ("cases:detail", "POST"): {"action": "note", "text": "A note from the matrix."},
    ("staff:acknowledge", "POST"): {
        "coc_version": "{coc_version}",
        "guide_version": "{guide_version}",
        "confirm": "on",
    },
    ("staff:rota", "POST"): {"action": "delete", "shift": "{shift_id}"},
    ("transparency:event", "POST"): {"action": "compute"},
    ("transparency:organisation", "POST"): {"action": "compute"},
    ("staff:briefings", "POST"): {
        "action": "attendance",
        "briefing": "{briefing_id}",
        "attended": "{member_id}",
    },
    ("notify:channels", "POST"): {"action": "toggle", "channel": "{channel_id}"},
    ("cases:flood", "POST"): {"action": "not_junk", "case": "{case_id}"},
    ("staff:send_receipt", "POST"): {
        "receipt": "{receipt}",
        "via": "email",
        "email-to": "reporter@example.org",
    },
}
API_BODIES = {
    ("POST", "/api/v1/auth/token"): {
        "username": "{username}",
        "password": factories.PASSWORD,
        "otp": "{otp}",
    },
    ("POST", "/api/v1/events/{event}/reports"): {"what_happened": "Filed by the matrix."},
    ("POST", "/api/v1/receipt/messages"): {"text": "More from the reporter."},
    ("POST", "/api/v1/receipt/correction"): {"text": "It was later than that."},
    ("POST", "/api/v1/receipt/replies"): {"via": ""},
    ("POST", "/api/v1/reports/{report_id}/receipt"): {
        "receipt": "{receipt}",
        "via": "email",
        "to": "reporter@example.org",
    },
    ("POST", "/api/v1/cases/{case_id}/acknowledge"): {"version": "{case_version}"},
    ("POST", "/api/v1/cases/{case_id}/status"): {
        "version": "{case_version}",
        "status": "acknowledged",
    },
    ("POST", "/api/v1/cases/{case_id}/notes"): {"text": "A note from the matrix."},
    ("POST", "/api/v1/cases/{case_id}/owner"): {"username": "{username}"},
    ("POST", "/api/v1/cases/{case_id}/helpers"): {"username": "{helper}"},
    ("POST", "/api/v1/cases/{case_id}/decisions"): {"consequence": "verbal", "reasoning": "x"},
    ("POST", "/api/v1/cases/{case_id}/decisions/{decision_id}/final"): {
        "version": "{case_version}"
    },
    ("POST", "/api/v1/cases/{case_id}/decisions/{decision_id}/appeal"): {"grounds": "Unfair."},
    ("POST", "/api/v1/cases/{case_id}/decisions/{decision_id}/appeal/review"): {
        "outcome": "upheld",
        "reasoning": "Fair.",
    },
    ("POST", "/api/v1/cases/{case_id}/categories"): {"categories": ["Harassment"]},
    ("POST", "/api/v1/cases/{case_id}/safety-steps"): {"step": "escort_offered"},
    ("POST", "/api/v1/cases/{case_id}/interim-actions"): {"text": "Asked him to leave."},
    ("POST", "/api/v1/cases/{case_id}/messages"): {"text": "A message from the matrix."},
    ("POST", "/api/v1/cases/{case_id}/accounts"): {"given_by": "witness", "text": "I saw it."},
    ("POST", "/api/v1/cases/{case_id}/respondents"): {"name": "Max Mustermann"},
    ("POST", "/api/v1/cases/{case_id}/links"): {"code_name": "{linkable}", "kind": "related"},
    ("POST", "/api/v1/events/{event}/desk-check"): {"who": "Max Mustermann"},
    ("POST", "/api/v1/events/{event}/flood/junk"): {
        "group": "0:00000000",
        "up_to": "2030-01-01T00:00:00+00:00",
    },
    ("POST", "/api/v1/cases/{case_id}/not-junk"): {"version": "{case_version}"},
    ("POST", "/api/v1/cases/{case_id}/retention"): {
        "version": "{case_version}",
        "until": "2099-01-01",
        "reason": "Kept by the matrix.",
    },
}
# Method-key variants: different URL kwargs or request environment.
VARIANTS = {
    "bad link": {"kwargs": {"token": "cc8kq9-0123456789abcdef0123456789abcdef"}},
    "from loopback": {"environ": {"REMOTE_ADDR": LOOPBACK}},
}

# Patterns that need no row, with the reason. (Static files are served by
# WhiteNoise's middleware, not by a URL pattern; Django's admin is not installed.)
EXEMPT: dict[str, str] = {}

# Cells where the app does not do what the design requires: (row, method, role) -> why.
DEFECTS: dict[tuple[str, str, str], str] = {}


# --- the world every cell runs against ------------------------------------------------


@dataclass
class World:
    ids: dict
    receipt: str
    cookies: dict  # role -> the cookies of a signed-in browser
    tokens: dict  # role -> bearer token
    usernames: dict  # role -> username


def _build_world() -> World:
    cast = factories.personas()
    cast.event.languages = "en,de"
    cast.event.save(update_fields=["languages"])
    # On the response team, alerted and sealed to, but yet to declare no conflict.
    cast.undecided = factories.user("undecided", "Una", "Decided")
    factories.member(cast.event, cast.undecided, Role.RESPONDER)
    submission = factories.file_report(
        cast.event,
        what_happened=f"{CANARY} was said at the party.",
        who="Otto Offduty and Lou Second",
        channel="in_person",
        taken_by=cast.staff,
        attachments=[CheckedFile("notes.txt", "text/plain", f"{CANARY} in a file".encode())],
    )
    report = submission.report
    case = report.case
    assert factories.recused(case) == {"offduty", "lead2"}
    factories.declared(case, cast.lead, cast.responder)
    # Another case of the event both may read: the one they link this case to.
    linkable = factories.file_report(cast.event, what_happened="Another incident.").report.case
    factories.declared(linkable, cast.lead, cast.responder)
    decision = Decision(
        case=case,
        consequence="no_action",
        proposed_by=cast.lead,
        proposed_at=timezone.now(),
    )
    decision.sealed = case_key(case, factories.holding_key(cast.lead)).seal(
        "decision", decision.pk, {"reasoning": f"{CANARY} decided", "respondent": {}}
    )
    decision.save()
    interim = team.record_interim_action(
        case, "Asked him to leave.", by=factories.holding_key(cast.lead)
    )
    dead = OutboxMessage.objects.get(subject_id=case.pk, recipient=cast.lead)
    OutboxMessage.objects.filter(pk=dead.pk).update(
        state=OutboxMessage.State.DEAD, attempts=10, last_error="refused"
    )
    membership = cast.memberships["responder"]
    shift = DutyShift.objects.get(membership=membership)
    briefing = Briefing.objects.create(event=cast.event, held_at=timezone.now())
    channel = AlertChannel.objects.create(
        user=cast.responder,
        kind=AlertChannel.Kind.EMAIL,
        label="rita@example.org",
        sealed_config=channel_config.seal(
            cast.responder.pk, AlertChannel.Kind.EMAIL, {"target": "rita@example.org"}
        ),
        is_primary=True,
    )
    # The event's text-message number and hotline (Twilio), and a gateway number.
    for kind, provider, config in (
        ("sms", "twilio", {"account_sid": "AC" + "0" * 32, "auth_token": "t" * 32}),
        ("voice", "twilio", {"account_sid": "AC" + "0" * 32, "auth_token": "t" * 32}),
    ):
        hook = IntakeChannel(event=cast.event, kind=kind, provider=provider, address="+4930555")
        intake_config.seal(hook, config)
        hook.save()
    hook = IntakeChannel(event=cast.event, kind="sms", provider="gateway", address="+4930556")
    intake_config.seal(hook, {"secret": "s" * 32})
    hook.save()
    # The event's reporting address (intake.channels), for its organisers' pages.
    mailbox = IntakeChannel.objects.create(
        event=cast.event, kind="mail", provider="listener", address="report@conf.example"
    )
    # A password link of someone who never signs in here (signing in voids a link).
    link = resolve(password_link_path(cast.unacked)).kwargs
    cookies, tokens, usernames = {}, {}, {}
    for role, persona in PERSONAS.items():
        user = getattr(cast, persona)
        usernames[role] = user.username
        signed_in = factories.sign_in(Client(), user)
        cookies[role] = {name: morsel.value for name, morsel in signed_in.cookies.items()}
        response = Client().post(
            "/api/v1/auth/token",
            {"username": user.username, "password": factories.PASSWORD, "otp": factories.otp()},
            content_type="application/json",
        )
        assert response.status_code == 200, (role, response.content)
        tokens[role] = response.json()["token"]
    ids = {
        "event": cast.event.slug,
        "slug": cast.event.slug,
        "org_slug": cast.event.organisation.slug,
        "case_id": str(case.pk),
        "case_version": case.version,
        "linkable": linkable.code_name,
        "report_id": str(report.pk),
        "attachment_id": str(report.attachments.get().pk),
        "action_id": interim.pk,
        "decision_id": str(decision.pk),
        "helper": cast.responder.username,
        "message_id": str(dead.pk),
        "member_id": membership.pk,
        "shift_id": shift.pk,
        "briefing_id": briefing.pk,
        "channel_id": channel.pk,
        "coc_version": cast.event.code_of_conduct_version,
        "guide_version": cast.event.handling_guide_version,
        "uidb64": link["uidb64"],
        "token": link["token"],
        "language": "de",
        "step": "menu",
        "kind": "mail",
        "intake_channel_id": mailbox.pk,
        "year": cast.event.starts_on.year,
        # For the staff member who took the report to send it on (staff:send_receipt).
        "receipt": submission.receipt,
    }
    return World(ids, submission.receipt, cookies, tokens, usernames)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield _build_world()


# --- walking the registered URLs ------------------------------------------------------


def _registered(patterns=None, prefix="", namespace=""):
    """(name, route, kwarg names) of every URL pattern the site serves."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _registered(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            yield name or f"<unnamed> {route}", route, tuple(entry.pattern.regex.groupindex)


def _url_kwargs():
    return {name: kwargs for name, _route, kwargs in _registered()}


def _ninja_path(route: str) -> str:
    return "/" + route.replace("<", "{").replace(">", "}")


# --- the cells ------------------------------------------------------------------------


def _cells():
    for table, kind in ((PAGES, "page"), (API, "api")):
        for row, methods in table.items():
            for method, outcomes in methods.items():
                assert len(outcomes) == len(ROLES), (row, method)
                for role, expected in zip(ROLES, outcomes, strict=True):
                    marks = []
                    if (row, method, role) in DEFECTS:
                        reason = f"defect: {DEFECTS[row, method, role]}"
                        marks.append(pytest.mark.xfail(strict=True, reason=reason))
                    yield pytest.param(
                        kind, row, method, role, expected, id=f"{row} {method} {role}", marks=marks
                    )


def _fill(value, ids):
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return ids[value[1:-1]]
    return value


def _page_request(client, world, row, method_key, role):
    method, _sep, variant = method_key.partition(" ")
    setup = VARIANTS.get(variant, {})
    ids = world.ids
    kwargs = {name: ids[name] for name in _url_kwargs()[row]}
    kwargs.update(setup.get("kwargs", {}))
    path = reverse(row, kwargs=kwargs)
    for name, value in world.cookies.get(role, {}).items():
        client.cookies[name] = value
    environ = {"REMOTE_ADDR": INTERNET, **setup.get("environ", {})}
    if method == "GET":
        return path, client.get(path, **environ)
    data = _fill(POST_DATA.get((row, method_key), {}), ids)
    if role == "reporter":
        data["receipt"] = world.receipt
    return path, client.post(path, data, **environ)


def _api_request(client, world, row, method, role):
    ids = {**world.ids, "username": world.usernames.get(role, "nobody"), "otp": factories.otp()}
    path = row.format(**ids)
    environ = {"REMOTE_ADDR": INTERNET}
    if role in world.tokens:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[role]}"
    if role == "reporter":
        environ["HTTP_X_RECEIPT"] = world.receipt
    body = API_BODIES.get((method, row))
    data = "" if body is None else json.dumps(_fill(body, ids))
    return path, client.generic(method, path, data, content_type="application/json", **environ)


@pytest.mark.parametrize(("kind", "row", "method", "role", "expected"), list(_cells()))
def test_access(client, world, db, kind, row, method, role, expected):  # noqa: PLR0917
    send = _page_request if kind == "page" else _api_request
    path, response = send(client, world, row, method, role)
    body = response.content.decode(errors="replace")
    got = response.status_code
    where = response.get("Location", "")
    context = f"{method} {path} as {role}: got {got} {where}"
    if isinstance(expected, Redirect):
        target = expected.target.format(**world.ids)
        assert got == 302, context
        if expected.prefix:
            assert where.startswith(target), context
        else:
            assert where == target, context
    elif expected is READ:
        assert got == 200, context
        assert CANARY in body, f"{context}: the report's content is missing"
    else:
        assert got == expected, context
    if expected is not READ:
        assert CANARY not in body, f"{context}: the report's content leaked"


# --- the completeness guard -----------------------------------------------------------


def test_every_url_and_api_operation_has_a_row(client, db):
    """Adding a URL or an API operation without deciding who may reach it fails here."""
    missing, stale = [], []
    page_names = set()
    for name, route, _kwargs in _registered():
        if name in EXEMPT:
            continue
        page_names.add(name)
        if name in PAGES:
            continue
        if name.startswith("api:") and _ninja_path(route) in API:
            continue
        missing.append(f"{name} ({route})")
    schema = client.get("/api/v1/openapi.json").json()
    operations = {
        (method.upper(), path)
        for path, methods in schema["paths"].items()
        for method in methods
        if method in {"get", "post", "put", "patch", "delete"}
    }
    for method, path in sorted(operations):
        if method not in API.get(path, {}):
            missing.append(f"{method} {path}")
    stale += [name for name in PAGES if name not in page_names]
    stale += [
        f"{method} {path}"
        for path, methods in API.items()
        for method in methods
        if (method, path) not in operations
    ]
    assert not missing, f"URLs / API operations with no row in the access matrix: {missing}"
    assert not stale, f"rows in the access matrix for URLs that no longer exist: {stale}"
    unknown = [k for k in (*POST_DATA, *API_BODIES, *DEFECTS) if not _known(k)]
    assert not unknown, f"bodies or defects for cells that are not in the matrix: {unknown}"


def _known(key) -> bool:
    if len(key) == 3:  # a DEFECTS cell
        row, method, role = key
        return role in ROLES and method in {**PAGES, **API}.get(row, {})
    first, second = key
    if first in API.get(second, {}):  # (method, api path)
        return True
    return second in PAGES.get(first, {})


def test_a_signed_in_session_does_not_authenticate_the_api(client, world, db):
    """The API takes bearer tokens only: a session cookie (cross-site requests carry
    it) opens nothing there."""
    for name, value in world.cookies["lead"].items():
        client.cookies[name] = value
    assert client.get("/staff/").status_code == 200
    case = world.ids["case_id"]
    assert client.get(f"/api/v1/cases/{case}").status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_every_case_page_action_is_an_api_operation(client, db):
    """The README's promise, checked: each action of the case page (its own table, the
    decision panel's, and what else the page offers) is an operation in the schema."""
    from ombud.cases.actions import ACTIONS, PAGE_OPERATIONS  # noqa: PLC0415
    from ombud.decisions.views import API_OPERATIONS  # noqa: PLC0415

    schema = client.get("/api/v1/openapi.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, methods in schema["paths"].items()
        for method in methods
    }
    wanted = {
        **{f"case page: {name}": action.api for name, action in ACTIONS.items()},
        **{f"decision panel: {name}": operation for name, operation in API_OPERATIONS.items()},
        **{f"case page: {name}": operation for name, operation in PAGE_OPERATIONS.items()},
    }
    missing = {what: operation for what, operation in wanted.items() if operation not in operations}
    assert not missing, f"case-page actions with no API operation: {missing}"
    # And each action on the page is in the table: the template posts only known actions.
    template = (
        Path(__file__).resolve().parents[2] / "src/ombud/cases/templates/cases/detail.html"
    ).read_text()
    posted = set(re.findall(r'name="action" value="([a-z_]+)"', template))
    assert posted <= set(ACTIONS), posted - set(ACTIONS)
    assert posted | {"declare"} == set(ACTIONS)
