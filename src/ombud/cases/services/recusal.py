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

from ombud.cases.models import Case, Message, Recusal
from ombud.cases.services.access import server_case_key
from ombud.staff import roster

_NAMING_FIELDS = ("who", "who_description", "exclude_others")
_NON_WORD = re.compile(r"[^\w@.+-]+")


def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    words = [w.strip(".,-+") for w in _NON_WORD.split(bare)]
    return " " + " ".join(w for w in words if w) + " "


@functools.lru_cache(maxsize=8192)
def _needle(phrase: str) -> str:
    """A name, username, badge or address as it must appear in normalised text."""
    normal = _normalise(phrase).strip()
    return f" {normal} " if normal else ""


def _contains(haystack: str, phrase: str) -> bool:
    needle = _needle(phrase)
    return bool(needle) and needle in haystack


def _names(person) -> list[str]:
    first, last = person.first_name.strip(), person.last_name.strip()
    if first and last:
        return [f"{first} {last}", f"{last} {first}", f"{last}, {first}"]
    single = first or last
    return [single] if len(single) >= 3 else []


def named_members(content: dict, people) -> set[int]:
    """User ids of the roster members (``staff.roster.RosterMember``) the content names."""
    everywhere = _normalise(" \n ".join(str(v) for v in content.values() if v))
    naming = _normalise(" \n ".join(str(content.get(f) or "") for f in _NAMING_FIELDS))
    named = set()
    for person in people:
        phrases = [*_names(person), f"@{person.username}"]
        if person.badge_number:
            phrases.append(person.badge_number)
        if person.email:
            phrases.append(person.email)
        if any(_contains(everywhere, p) for p in phrases) or _contains(naming, person.username):
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


def recusal_rows(case, case_key, reasons: dict[int, str], *, now=None) -> list[Recusal]:
    """Sealed, unsaved recusals (sealing happens before the write lock is taken)."""
    now = now or timezone.now()
    rows = []
    for user_id, reason in reasons.items():
        row = Recusal(case=case, user_id=user_id, created_at=now)
        row.sealed_reason = case_key.seal("recusal", f"{case.pk}:{user_id}", {"reason": reason})
        rows.append(row)
    return rows


def recuse(case, case_key, reasons: dict[int, str]) -> list[Recusal]:
    """Add recusals not yet recorded; a recusal is never lifted by new content."""
    if not reasons:
        return []
    existing = set(Recusal.objects.filter(case=case).values_list("user_id", flat=True))
    fresh = {user_id: reason for user_id, reason in reasons.items() if user_id not in existing}
    return Recusal.objects.bulk_create(recusal_rows(case, case_key, fresh))


def reason_of(recusal, case_key) -> str:
    return case_key.open("recusal", f"{recusal.case_id}:{recusal.user_id}", recusal.sealed_reason)[
        "reason"
    ]


def report_content(report, case_key) -> dict:
    return case_key.open("report", report.pk, report.sealed)


def message_content(message, case_key) -> dict:
    return case_key.open("message", message.pk, message.sealed)


def rescan_for_member(membership) -> int:
    """A person joining an event's staff (or changing badge) is checked against its cases."""
    count = 0
    cases = Case.objects.filter(event=membership.event).exclude(recusals__user=membership.user)
    for case in cases.prefetch_related("reports", "messages"):
        case_key = server_case_key(case)
        texts = [report_content(r, case_key) for r in case.reports.all()]
        texts += [
            message_content(m, case_key)
            for m in case.messages.all()
            if m.direction == Message.Direction.FROM_REPORTER
        ]
        person = [roster.RosterMember.of(membership)]
        if any(named_members(content, person) for content in texts):
            count += len(recuse(case, case_key, {membership.user_id: Recusal.Reason.NAMED}))
    return count
