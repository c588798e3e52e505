"""Reading a list from where it lives: pretix's orders, pretalx's speakers, a CSV file.

Each reader returns every person or raises ``ImportFailed`` with a message for the
leads that names what went wrong and never a person, a token or a response body.
Nothing is stored here: ``store.replace`` takes the whole list or nothing.
"""

import csv
import io
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from django.utils.translation import gettext as _

from ombud.attendees.models import Kind
from ombud.notify.channels import http

# Bounds: a list larger than any conference's, or an API that never stops paging,
# is refused rather than filling the database or holding a request for ever.
MAX_PEOPLE = 20_000
MAX_PAGES = 500
MAX_CSV_BYTES = 10 * 1024 * 1024
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# The whole import, every page: it runs in the request of the lead who started it.
DEADLINE_SECONDS = 120
FIELD_LIMIT = 200
# pretix order states: n pending, p paid, e expired, c canceled. Pending orders count
# (the person may well be at the door, paying there); expired and canceled do not.
PRETIX_COUNTED = {"n", "p"}


class ImportFailed(Exception):
    """Why an import was refused, in words for the leads (safe to store and show)."""


@dataclass(frozen=True)
class Entry:
    kind: str
    name: str = ""
    email: str = ""
    badge: str = ""  # what staff see as the badge: order code and position, speaker code
    codes: tuple = field(default=())  # more badge-like identifiers (ticket secret, …)

    @property
    def empty(self) -> bool:
        return not (self.name or self.email or self.badge or self.codes)


def _clip(value) -> str:
    return str(value or "").strip()[:FIELD_LIMIT]


def _same_origin(url: str, base: str) -> bool:
    one, two = urlsplit(url), urlsplit(base)
    return (one.scheme, one.netloc) == (two.scheme, two.netloc)


def _pages(url: str, token: str, service: str):
    """Each page's ``results`` of a paginated (count/next/previous/results) API."""
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    first = url
    # The rule for every address the server calls with a secret (alert channels too):
    # in production https to a public address only - the token never crosses the
    # network in clear, and no import reaches inside the server's own network.
    try:
        http.check_destination(url)
    except http.DeliveryFailed as exc:
        raise ImportFailed(_("This address cannot be used: %(why)s.") % {"why": exc}) from None
    pages = 0
    deadline = time.monotonic() + DEADLINE_SECONDS
    # No proxy settings from the environment: the token goes to the address given.
    with httpx.Client(
        timeout=TIMEOUT, follow_redirects=False, headers=headers, trust_env=False
    ) as client:
        while url:
            pages += 1
            if pages > MAX_PAGES:
                raise ImportFailed(
                    _("%(service)s kept sending more pages (over %(n)d); nothing was imported.")
                    % {"service": service, "n": MAX_PAGES}
                )
            if time.monotonic() > deadline:
                raise ImportFailed(
                    _("%(service)s took longer than %(n)d seconds in all; nothing was imported.")
                    % {"service": service, "n": DEADLINE_SECONDS}
                )
            # The token goes only where the first request went.
            if not _same_origin(url, first):
                raise ImportFailed(
                    _("%(service)s pointed to another server for the next page; refused.")
                    % {"service": service}
                )
            page = _get(client, url, service)
            yield _results(page, service)
            url = _next_of(page, service)


def _not_understood(service: str) -> ImportFailed:
    return ImportFailed(_("The answer from %(service)s was not understood.") % {"service": service})


def _get(client, url: str, service: str):
    try:
        response = client.get(url)
    except httpx.TimeoutException:
        raise ImportFailed(
            _("%(service)s did not answer in time; try again later.") % {"service": service}
        ) from None
    except (httpx.HTTPError, httpx.InvalidURL):
        raise ImportFailed(
            _("%(service)s could not be reached: check the address.") % {"service": service}
        ) from None
    status = response.status_code
    if status in (401, 403):
        raise ImportFailed(
            _(
                "%(service)s refused the API token (HTTP %(status)d): check it, and that it may "
                "read this event."
            )
            % {"service": service, "status": status}
        )
    if status == 404:
        raise ImportFailed(
            _("%(service)s does not know this event (HTTP 404): check the names in the address.")
            % {"service": service}
        )
    if status != 200:
        raise ImportFailed(
            _("%(service)s answered with an error (HTTP %(status)d); try again later.")
            % {"service": service, "status": status}
        )
    try:
        page = response.json()
    except ValueError:
        page = None
    if not isinstance(page, dict):
        raise _not_understood(service)
    return page


def _results(page: dict, service: str) -> list:
    results = page.get("results")
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise _not_understood(service)
    return results


def _next_of(page: dict, service: str) -> str:
    following = page.get("next")
    if following is not None and not isinstance(following, str):
        raise _not_understood(service)
    return following or ""


def _bounded(people: list) -> list:
    if len(people) > MAX_PEOPLE:
        raise ImportFailed(
            _("The list has more than %(n)d people; nothing was imported.") % {"n": MAX_PEOPLE}
        )
    return people


def _position(order: dict, position: dict) -> Entry | None:
    if position.get("canceled") or position.get("addon_to"):
        return None  # an add-on (a T-shirt) is not another person
    invoice = order.get("invoice_address") if isinstance(order.get("invoice_address"), dict) else {}
    code = _clip(order.get("code"))
    number = _clip(position.get("positionid"))
    badge = f"{code}-{number}" if code and number else code
    return Entry(
        kind=Kind.ATTENDEES,
        name=_clip(position.get("attendee_name") or invoice.get("name")),
        email=_clip(position.get("attendee_email") or order.get("email")),
        badge=badge,
        codes=tuple(c for c in (code, _clip(position.get("secret"))) if c),
    )


def pretix_orders(base_url: str, organizer: str, event: str, token: str) -> list[Entry]:
    """Attendees: one per admission position of each paid or pending order."""
    url = f"{base_url.rstrip('/')}/api/v1/organizers/{organizer}/events/{event}/orders/"
    people = []
    for results in _pages(url, token, "pretix"):
        for order in results:
            positions = order.get("positions")
            if not isinstance(positions, list):
                raise _not_understood("pretix")
            if order.get("status") not in PRETIX_COUNTED or order.get("testmode"):
                continue
            for position in positions:
                entry = _position(order, position) if isinstance(position, dict) else None
                if entry is not None and not entry.empty:
                    people.append(entry)
        _bounded(people)
    return people


def pretalx_speakers(base_url: str, event: str, token: str) -> list[Entry]:
    """Speakers: everyone the token may see (e-mail only if it may see addresses)."""
    url = f"{base_url.rstrip('/')}/api/events/{event}/speakers/"
    people = []
    for results in _pages(url, token, "pretalx"):
        for speaker in results:
            code = _clip(speaker.get("code"))
            entry = Entry(
                kind=Kind.SPEAKERS,
                name=_clip(speaker.get("name")),
                email=_clip(speaker.get("email")),
                badge=code,
            )
            if not entry.empty:
                people.append(entry)
        _bounded(people)
    return people


# Column names (lower case) a CSV may use for each field.
CSV_COLUMNS = {
    "name": ("name", "full name", "attendee name"),
    "email": ("email", "e-mail", "email address", "e-mail address"),
    "badge": ("badge", "badge number", "order code", "badge/order code", "code", "ticket"),
    "kind": ("kind", "type", "role"),
}
CSV_REQUIRED = ("name", "email", "badge")
_KIND_WORDS = {
    "": None,
    "attendee": Kind.ATTENDEES,
    "attendees": Kind.ATTENDEES,
    "speaker": Kind.SPEAKERS,
    "speakers": Kind.SPEAKERS,
}


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed(
            _("Line %(line)d is not UTF-8 text: save the file as UTF-8 and upload it again.")
            % {"line": line}
        ) from None


def _columns(header: list) -> dict:
    names = [cell.strip().casefold() for cell in header]
    found = {}
    for wanted, spellings in CSV_COLUMNS.items():
        for index, name in enumerate(names):
            if name in spellings:
                found[wanted] = index
                break
    missing = [name for name in CSV_REQUIRED if name not in found]
    if missing:
        raise ImportFailed(
            _(
                "Line 1 (the header) lacks these columns: %(columns)s. "
                "It needs name, email and badge."
            )
            % {"columns": ", ".join(missing)}
        )
    return found


def csv_people(data: bytes, *, default_kind: str) -> list[Entry]:
    """People from a CSV with a header row (name, email, badge; kind optional: attendee
    or speaker, else ``default_kind``). A bad line refuses the whole file."""
    if len(data) > MAX_CSV_BYTES:
        raise ImportFailed(_("The file is larger than 10 MB."))
    text = _decoded(data)
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(rows, None)
        if header is None:
            raise ImportFailed(_("The file is empty."))
        columns = _columns(header)
        people = []
        for row in rows:
            line = rows.line_num

            def cell(name, row=row):
                index = columns.get(name)
                return _clip(row[index]) if index is not None and index < len(row) else ""

            word = cell("kind").casefold()
            if word not in _KIND_WORDS:
                raise ImportFailed(
                    _("Line %(line)d: the kind must be “attendee” or “speaker”.") % {"line": line}
                )
            entry = Entry(
                kind=_KIND_WORDS[word] or default_kind,
                name=cell("name"),
                email=cell("email"),
                badge=cell("badge"),
            )
            if not entry.empty:
                people.append(entry)
            _bounded(people)
    except csv.Error:
        raise ImportFailed(_("Line %(line)d is not valid CSV.") % {"line": rows.line_num}) from None
    return people
