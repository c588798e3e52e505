"""Automatic recusal: staff named in a report, or excluded by the reporter.

It runs before anyone is alerted, on the plaintext the server holds for a
moment at intake. Matching errs towards recusing: a wrongly recused person
loses nothing the leads cannot cover; a wrongly alerted one may be the
person reported.

What counts as naming someone:
- their full name, in either order, anywhere in the report;
- their badge number or e-mail address anywhere;
- ``@username`` anywhere, or the bare username in the fields that name
  people (who, their description, staff to keep away) - a bare username like
  "chair" or "desk" elsewhere is too often an ordinary word.
"""

import functools
import re
import unicodedata

from django.utils import timezone

from ombud.audit import services as audit
from ombud.audit.services import Actor
from ombud.cases.models import Case, Message, Recusal, Report
from ombud.events.models import VaultMode
from ombud.staff import roster
from ombud.vault import inbox, receipts
from ombud.vault import services as vault
from ombud.vault.models import KeyWrap, RecipientKind

_NAMING_FIELDS = ("who", "who_description", "exclude_others")
# Hyphens separate words, so "Mary-Jane" matches "Mary Jane"; @ . + stay, for
# addresses and badges.
_NON_WORD = re.compile(r"[^\w@.+]+")
# Shorter than this, a badge number or a lone name ("12", "Will") is an ordinary
# word too often: it counts only in the fields that name people.
_STRONG_LENGTH = 4


def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    words = [w.strip(".,+") for w in _NON_WORD.split(bare)]
    return " " + " ".join(w for w in words if w) + " "


@functools.lru_cache(maxsize=8192)
def _needle(phrase: str) -> str:
    """A name, username, badge or address as it must appear in normalised text."""
    normal = _normalise(phrase).strip()
    return f" {normal} " if normal else ""


@functools.lru_cache(maxsize=4096)
def _full_name_pattern(first: str, last: str):
    """First and last name, in either order, allowing one middle name or initial."""
    first, last = _needle(first).strip(), _needle(last).strip()
    if not first or not last:
        return None
    a, b = re.escape(first), re.escape(last)
    return re.compile(rf" (?:{a} (?:\S+ )?{b}|{b} (?:\S+ )?{a}) ")


def _contains(haystack: str, phrase: str) -> bool:
    needle = _needle(phrase)
    return bool(needle) and needle in haystack


def _names_person(person, everywhere: str, naming: str) -> bool:
    first, last = person.first_name.strip(), person.last_name.strip()
    if first and last:
        pattern = _full_name_pattern(first, last)
        return bool(pattern and pattern.search(everywhere))
    single = first or last
    return len(single) >= 3 and _contains(naming, single)


def named_members(content: dict, people) -> set[int]:
    """User ids of the roster members (``staff.roster.RosterMember``) the content names.

    Full names (either order, a middle name allowed), e-mail addresses,
    ``@username`` and badge numbers count anywhere; a bare username, a lone
    first name and a short badge count only in the fields that name people.
    """
    everywhere = _normalise(" \n ".join(str(v) for k, v in content.items() if v and k in _TEXT))
    naming = _normalise(" \n ".join(str(content.get(f) or "") for f in _NAMING_FIELDS))
    named = set()
    for person in people:
        anywhere = [f"@{person.username}"]
        only_naming = [person.username]
        if person.email:
            anywhere.append(person.email)
        badge = person.badge_number
        if badge:
            (anywhere if len(_needle(badge).strip()) >= _STRONG_LENGTH else only_naming).append(
                badge
            )
        if (
            _names_person(person, everywhere, naming)
            or any(_contains(everywhere, p) for p in anywhere)
            or any(_contains(naming, p) for p in only_naming)
        ):
            named.add(person.user_id)
    return named


def reasons_among(people, content: dict, excluded_usernames=()) -> dict[int, str]:
    """Who on the roster must be recused from a report with this content, and why."""
    reasons = {}
    wanted = {u.strip().casefold() for u in excluded_usernames if u and u.strip()}
    for person in people:
        if person.username.casefold() in wanted:
            reasons[person.user_id] = Recusal.Reason.EXCLUDED
    excluded_by_text = named_members({"exclude_others": content.get("exclude_others", "")}, people)
    for user_id in excluded_by_text:
        reasons[user_id] = Recusal.Reason.EXCLUDED
    for user_id in named_members(content, people):
        reasons.setdefault(user_id, Recusal.Reason.NAMED)
    return reasons


def reasons_for(event, content: dict, excluded_usernames=()) -> dict[int, str]:
    return reasons_among(roster.load(event).members, content, excluded_usernames)


def tag_for(user_id: int) -> str:
    """The keyed tag a recusal stores instead of the person's id."""
    return receipts.keyed_digest("recusal", str(user_id))


def recusal_rows(case, case_key, reasons: dict[int, str], *, now=None) -> list[Recusal]:
    """Sealed, unsaved recusals (sealing happens before the write lock is taken)."""
    now = now or timezone.now()
    rows = []
    for user_id, reason in reasons.items():
        tag = tag_for(user_id)
        row = Recusal(case=case, user_tag=tag, created_at=now)
        row.sealed = case_key.seal(
            "recusal", f"{case.pk}:{tag}", {"reason": reason, "user_id": user_id}
        )
        rows.append(row)
    return rows


def recuse(case, case_key, reasons: dict[int, str], *, now=None) -> list[Recusal]:
    """Add recusals not yet recorded (audited); new content never lifts a recusal.

    Without the case key (a channel's addition), they are sealed to the case's inbox."""
    if not reasons:
        return []
    existing = set(Recusal.objects.filter(case=case).values_list("user_tag", flat=True))
    fresh = {u: r for u, r in reasons.items() if tag_for(u) not in existing}
    if case_key is None:
        rows = inbox_recusal_rows(case, fresh, now=now or timezone.now())
    else:
        rows = recusal_rows(case, case_key, fresh, now=now)
    created = Recusal.objects.bulk_create(rows)
    # Whoever is recused loses their own wrap of the case key too, not only the view.
    KeyWrap.objects.filter(
        keyring=case.pk,
        recipient_kind=RecipientKind.PERSON,
        recipient_ref__in=[str(user_id) for user_id in fresh],
    ).delete()
    for row in created:
        audit.record(Actor.system(), "recusal.created", row, event_id=case.event_id)
    return created


def recused_user_ids(case, case_key) -> set[int]:
    """Who is kept away, read from the sealed recusals (needs the case key)."""
    return {who_and_why(r, case_key)[0] for r in case.recusals.all()}


def recused_among(case, people) -> set[int]:
    """Who of ``people`` is kept away, from the keyed tags alone (no case key needed)."""
    tags = set(Recusal.objects.filter(case=case).values_list("user_tag", flat=True))
    return {person.user_id for person in people if tag_for(person.user_id) in tags}


def inbox_recusal_rows(case, reasons: dict[int, str], *, now) -> list[Recusal]:
    """Recusals a channel finds in an addition: sealed to the case's inbox, because
    whoever received it cannot open the case (``vault.inbox``)."""
    rows = []
    for user_id, reason in reasons.items():
        tag = tag_for(user_id)
        row = Recusal(case=case, user_tag=tag, created_at=now, via_inbox=True)
        row.sealed = inbox.seal(
            case.inbox_public_key,
            case.pk,
            "recusal",
            tag,
            {"reason": reason, "user_id": user_id},
        )
        rows.append(row)
    return rows


def who_and_why(recusal, case_key) -> tuple[int, str]:
    if recusal.via_inbox:
        opened = inbox.open_sealed(
            case_key, recusal.case, "recusal", recusal.user_tag, bytes(recusal.sealed)
        )
    else:
        opened = case_key.open("recusal", f"{recusal.case_id}:{recusal.user_tag}", recusal.sealed)
    return opened["user_id"], opened["reason"]


def report_content(report, case_key) -> dict:
    """Everything sealed with the report, including the reporter's exclusions."""
    return case_key.open("report", report.pk, report.sealed)


def report_fields(report, case_key) -> dict:
    """The report's answers, as the reporter gave them (for reading, not matching)."""
    content = report_content(report, case_key)
    return {name: content.get(name, "") for name in Report.SEALED_FIELDS}


def message_content(message, case_key) -> dict:
    if message.via_inbox:
        return inbox.open_sealed(
            case_key, message.case, "message", message.pk, bytes(message.sealed)
        )
    return case_key.open("message", message.pk, message.sealed)


def addition_as_naming(text: str) -> dict:
    """A reporter's addition may name people as plainly as the "who" field does."""
    return {"who": text, "what_happened": text}


def rescan_for_member(membership) -> int:
    """Check a person who joined an event's staff, or whose name, e-mail or badge
    changed, against the event's cases: reports, reporters' additions and the
    reporters' own lists of staff to keep away."""
    count = 0
    person = [roster.RosterMember.of(membership)]
    if membership.event.vault_mode != VaultMode.SERVER:
        # Per-person mode: the server cannot read; whoever grants access checks first.
        return 0
    cases = Case.objects.filter(event=membership.event).exclude(
        recusals__user_tag=tag_for(membership.user_id)
    )
    for case in cases.prefetch_related("reports", "messages"):
        case_key = vault.open_as_server(case.pk)
        audit.record(Actor.system(), "case.scanned", case, event_id=case.event_id)
        reasons = {}
        for report in case.reports.all():
            content = report_content(report, case_key)
            reasons.update(reasons_among(person, content, content.get(EXCLUDED_STAFF, ())))
        for message in case.messages.all():
            if message.direction == Message.Direction.FROM_REPORTER:
                text = message_content(message, case_key)["text"]
                reasons.update(reasons_among(person, addition_as_naming(text)))
        if reasons:
            count += len(recuse(case, case_key, reasons))
    return count


# Sealed with the report: the usernames the reporter picked to keep away, so
# people who join the staff later are kept away too.
EXCLUDED_STAFF = "excluded_staff"
# The token in the reply address of Ombud's mail to a reporter (intake.channels): sealed
# with the report, so a team member writing back can address the reply to thread.
THREAD_TOKEN = "thread_token"


def thread_token(report, case_key) -> str:
    return report_content(report, case_key).get(THREAD_TOKEN, "")


_TEXT = frozenset(Report.SEALED_FIELDS)
