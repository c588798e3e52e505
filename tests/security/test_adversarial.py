"""The adversarial suite (issue 4): what an attacker on the internet, or a member of
another event's staff, tries first, and what Ombud must answer.

1. Fuzzed intake, API and form: never a 5xx; bad input gets a 4xx that says why (JSON
   ``detail``, or the form again with status 400) and stores nothing; good input is
   filed. Every example is checked against the documented rules, written out again.
2. Schemathesis on ``/api/v1/openapi.json``, against the WSGI app: never a 5xx, and
   every documented answer looks as its schema says.
3. Receipt guessing: unknown well-formed receipts fail exactly as malformed ones do, and
   a valid one opens. Hits and misses run the same keyed-hash lookup (structural proof),
   and a near miss takes as long as a far one (sign test).
4. IDOR: an id of another event is a 404 and changes nothing, for every URL and API
   operation that takes an id, with a control (the attacker's own id works).
5. CSRF: every page URL the resolver knows refuses a signed-in POST without a valid
   token (403) and changes nothing, signing out included.
6. Open redirects: ``next`` on sign-in, second factor, re-auth and sign-out.
7. Stored XSS: a script payload in every field a person can type is shown escaped.
8. Path traversal in upload file names never reaches the file system.

Where the app does not do what it should, the test keeps the correct expectation and
carries a strict xfail that names the defect: the mark has to go with the fix.
"""

import gc
import ipaddress
import itertools
import json
import random
import re
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from unittest import mock
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
import schemathesis
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from ombud.accounts.services import password_link_path
from ombud.audit.models import Entry
from ombud.cases.models import Case, Message, Note, Report
from ombud.events.forms import EventForm
from ombud.events.models import Event, OrganiserAdmin
from ombud.intake.services import FIELD_LIMITS
from ombud.notify.channels import config as channel_config
from ombud.notify.models import AlertChannel, OutboxMessage
from ombud.staff.models import Briefing, DutyShift, Membership, Role
from ombud.vault import receipts
from tests import factories
from tests.security.worlds import rolled_back

CANARY = "ADVERSARY-CANARY-9f3c"
INTAKE_API = "/api/v1/events/conf/reports"
INTAKE_FORM = "/e/conf/report/"
RECEIPT_SHOWN = re.compile(r"\b(?:[0-9A-Z]{4}-){6}[0-9A-Z]{4}\b")
BODY_LIMIT = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
FIELD_COUNT_LIMIT = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
# PostgreSQL refuses NUL in text where SQLite stores it: an unchecked NUL is a 500 there.
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")

# Bounded fuzzing: the whole file runs in well under a minute on two cores. No example
# database: nothing is written next to the code.
FUZZ = hypothesis_settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _defects(values, defects: dict, key=lambda value: value):
    """pytest params, with a strict xfail on those whose key names a known defect."""
    return [
        pytest.param(
            value,
            marks=[pytest.mark.xfail(strict=True, reason=f"defect: {defects[key(value)]}")]
            if key(value) in defects
            else [],
            id=str(key(value)),
        )
        for value in values
    ]


_addresses = itertools.count(1)


def _fresh_address() -> dict:
    """A client address of its own, so per-address limits stay out of the way."""
    return {"REMOTE_ADDR": str(ipaddress.IPv4Address("10.0.0.0") + next(_addresses))}


def _stored() -> dict:
    """Row counts of everything a report, a refusal or an action could write."""
    models = (Case, Report, Note, Message, OutboxMessage, Entry)
    return {model.__name__: model.objects.count() for model in models}


def _snapshot() -> dict:
    """Every row of every table but the sessions: "nothing changed" means this."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or model._meta.label == "sessions.Session":
            continue
        rows[model._meta.label] = [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
            for row in model._default_manager.order_by("pk").values_list()
        ]
    return rows


def _changed(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


# --- a world of two events ------------------------------------------------------------


@dataclass
class Side:
    """One event and its objects that some URL or body names by id."""

    slug: str
    org_slug: str
    case_id: str
    case_version: int
    report_id: str
    receipt: str
    message_id: str  # a dead-lettered alert to the event's lead
    member_id: int  # a responder's membership
    shift_id: int  # that responder's duty shift
    briefing_id: int
    channel_id: int  # the lead's alert channel
    cookies: dict  # role -> cookies of a signed-in browser
    tokens: dict  # role -> bearer token


@dataclass
class World:
    conf: Side
    other: Side
    link: dict  # uidb64 and token of a password link


def _cookies(person) -> dict:
    signed_in = factories.sign_in(Client(), person)
    return {name: morsel.value for name, morsel in signed_in.cookies.items()}


def _token(person) -> str:
    response = Client().post(
        "/api/v1/auth/token",
        {"username": person.username, "password": factories.PASSWORD, "otp": factories.otp()},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _side(event, *, lead, admin, staff, responder) -> Side:
    submission = factories.file_report(
        event, what_happened=f"{CANARY} at {event.slug}", channel="in_person", taken_by=staff
    )
    case = factories.declared(submission.report.case, lead)  # the lead may read their own
    dead = OutboxMessage.objects.filter(subject_id=case.pk, recipient=lead).first()
    assert dead is not None, f"the lead of {event.slug} was not alerted"
    OutboxMessage.objects.filter(pk=dead.pk).update(
        state=OutboxMessage.State.DEAD, attempts=10, last_error="refused"
    )
    email = AlertChannel.Kind.EMAIL
    channel = AlertChannel.objects.create(
        user=lead,
        kind=email,
        label=lead.email,
        sealed_config=channel_config.seal(lead.pk, email, {"target": lead.email}),
        is_primary=True,
    )
    people = {"lead": lead, "admin": admin, "staff": staff}
    return Side(
        slug=event.slug,
        org_slug=event.organisation.slug,
        case_id=str(case.pk),
        case_version=case.version,
        report_id=str(submission.report.pk),
        receipt=submission.receipt,
        message_id=str(dead.pk),
        member_id=responder.pk,
        shift_id=DutyShift.objects.get(membership=responder).pk,
        briefing_id=Briefing.objects.create(event=event, held_at=timezone.now()).pk,
        channel_id=channel.pk,
        cookies={role: _cookies(person) for role, person in people.items()},
        tokens={role: _token(person) for role, person in people.items() if role != "admin"},
    )


def _build_world() -> World:
    cast = factories.personas()
    other = cast.other_event
    other_admin = factories.user("otheradmin", "Olga", "Otheradmin")
    OrganiserAdmin.objects.create(organisation=other.organisation, user=other_admin)
    other_staff = factories.user("otherstaff", "Ole", "Otherstaff")
    factories.member(other, other_staff, Role.STAFF)
    other_responder = factories.user("otherresp", "Orla", "Otherresp")
    conf = _side(
        cast.event,
        lead=cast.lead,
        admin=cast.admin,
        staff=cast.staff,
        responder=cast.memberships["responder"],
    )
    elsewhere = _side(
        other,
        lead=cast.outsider,
        admin=other_admin,
        staff=other_staff,
        responder=factories.member(other, other_responder, Role.RESPONDER),
    )
    # A password link of someone who never signs in here (signing in voids a link).
    return World(conf, elsewhere, resolve(password_link_path(cast.unacked)).kwargs)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield _build_world()


def _browser(cookies: dict, **kwargs) -> Client:
    client = Client(**kwargs)
    for name, value in cookies.items():
        client.cookies[name] = value
    return client


# === 1. Fuzzing the intake ============================================================

TEXT_FIELDS = Report.SEALED_FIELDS
RELATIONS = ("target", "witness", "on_behalf")
LAW = ("yes", "no", "not_now")
# Django's forms strip with str.strip(); the API's pydantic strips Unicode White_Space,
# which is the same set without the separators U+001C..U+001F.
PY_SPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
API_SPACE = PY_SPACE.translate(dict.fromkeys(range(0x1C, 0x20)))

# fmt: off
_odd = st.sampled_from([
    "\x00", "\x1c", "\x1f", "\x7f", "\u200b", "\ufeff", "\u202e", "\u3000", "\xa0", "\r\n",
    "\t", " ", "é", "e\u0301", "😀", "\U0010ffff", "<", "'", '"', "\\", "%00", "{{", "NaN",
])
# fmt: on
_texts = st.text(max_size=40) | st.lists(_odd | st.text(max_size=3), max_size=8).map("".join)


def _near_limit(limit: int):
    """Just under, at and just over a field's limit, with and without spaces around."""
    return st.builds(
        lambda n, pad, ch: pad + ch * n + pad,
        st.sampled_from([limit - 1, limit, limit + 1]),
        st.sampled_from(["", " ", "\n\t"]),
        st.sampled_from(["x", "é", "😀"]),
    )


# Over the body limit; drawn as a stand-in so that failing examples stay readable.
HUGE = "<huge>"


def _expand(value):
    if value == HUGE:
        return "y" * (BODY_LIMIT + 1000)
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v) for v in value]
    return value


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_texts, inner, max_size=3),
    max_leaves=6,
)
# Each field: a plausible value (the right type, mostly within limits) or an odd one.
_PLAUSIBLE = {
    **{name: _texts | st.none() for name in TEXT_FIELDS},
    "danger_now": st.booleans(),
    "still_going_on": st.none() | st.booleans(),
    "reporter_relation": st.sampled_from(RELATIONS) | st.none(),
    "law_enforcement": st.sampled_from(LAW) | st.none(),
    "exclude_staff": st.lists(st.sampled_from(["lead", "responder", "nobody"]) | _texts),
}
_ODD = {
    **{name: _near_limit(limit) | _json | st.just(HUGE) for name, limit in FIELD_LIMITS.items()},
    "danger_now": _json,
    "still_going_on": _json,
    "reporter_relation": _json,
    "law_enforcement": _json,
    "exclude_staff": st.lists(st.just("staffer"), min_size=50, max_size=51)
    | st.lists(_near_limit(150) | _json, min_size=1, max_size=2)
    | _json,
    "channel": st.sampled_from(["phone", "in_person", "web", "api"]) | st.none() | _json,
}
_plausible = st.fixed_dictionaries(
    {"what_happened": _texts},
    optional={k: v for k, v in _PLAUSIBLE.items() if k != "what_happened"},
)
_api_payloads = st.one_of(
    _plausible,
    st.tuples(_plausible, st.sampled_from(sorted(_ODD))).flatmap(  # one field gone wrong
        lambda base: _ODD[base[1]].map(lambda odd: {**base[0], base[1]: odd})
    ),
    st.builds(  # unknown keys
        lambda base, extra: {**base, **extra},
        _plausible,
        st.dictionaries(_texts.filter(lambda k: k not in _ODD), _json, min_size=1, max_size=2),
    ),
    st.fixed_dictionaries({}, optional=_PLAUSIBLE),  # what happened may be missing
    _json,  # not even an object
)


def _api_text_ok(value, limit: int, *, required: bool = False) -> bool:
    if value is None:
        return not required
    if not isinstance(value, str):
        return False
    kept = value.strip(API_SPACE)  # pydantic's strip, before the length limit
    # then Python's (as the forms do), before "required"
    return bool(kept.strip() or not required) and len(kept) <= limit and "\x00" not in kept


def _api_accepts(payload) -> bool:
    """The intake rules of DESIGN §6 and the schema."""
    if not isinstance(payload, dict) or not set(payload) <= set(_ODD):
        return False
    if "what_happened" not in payload:
        return False
    for name, limit in FIELD_LIMITS.items():
        required = name == "what_happened"
        if name in payload and not _api_text_ok(payload[name], limit, required=required):
            return False
    going_on = payload.get("still_going_on")
    staff = payload.get("exclude_staff", [])
    return (
        type(payload.get("danger_now", False)) is bool
        and (going_on is None or type(going_on) is bool)
        and payload.get("reporter_relation") in (None, *RELATIONS)
        and payload.get("law_enforcement") in (None, *LAW)
        and isinstance(staff, list)
        and len(staff) <= 50
        and all(name is not None and _api_text_ok(name, 150) for name in staff)
        and payload.get("channel") is None  # only staff with a token say how it reached them
    )


def test_fuzzed_api_intake_files_good_reports_and_refuses_the_rest(world, db):
    client = Client()

    @FUZZ
    @given(payload=_api_payloads)
    def check(payload):
        payload = _expand(payload)
        body = json.dumps(payload)
        before = _stored()
        address = _fresh_address()
        response = client.post(INTAKE_API, body, content_type="application/json", **address)
        status = response.status_code
        assert status < 500, f"{status} for {body[:300]!r}"
        assert response["Content-Type"].startswith("application/json"), status
        answer = response.json()
        if len(body.encode()) > BODY_LIMIT:
            assert status == 413, status
        elif _api_accepts(payload):
            assert status == 201, (status, answer)
            assert _stored()["Report"] == before["Report"] + 1
            mine = client.get("/api/v1/receipt", HTTP_X_RECEIPT=answer["receipt"])
            stored = mine.json()["report"]["what_happened"]
            assert stored == payload["what_happened"].strip(API_SPACE).strip()
            return
        else:
            assert status in {400, 422}, (status, answer)
        assert answer.get("detail"), answer
        assert _stored() == before, "a refused report left rows behind"

    check()


# fmt: off
ODD_BODIES = [
    b'{"what_happened": "a\\ud800b"}', b'{"what_happened": "ok", "exclude_staff": ["\\udfff"]}',
    b'{"what_happened": NaN}', b'{"what_happened": 1e999}', b'{"what_happened": "ok"} trailing',
    b'{"what_happened": "ok", "what_happened": ""}', b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000, b"\xff\xfe{\x00}", b"null", b"",
]
# fmt: on


@pytest.mark.parametrize("body", ODD_BODIES, ids=lambda body: body[:24].decode(errors="replace"))
def test_odd_json_bodies_are_refused_with_a_json_4xx(world, db, body):
    before = _stored()
    response = Client().post(INTAKE_API, body, content_type="application/json", **_fresh_address())
    assert 400 <= response.status_code < 500, response.status_code
    assert response.json()["detail"]
    assert _stored() == before


def test_fuzzed_idempotency_keys_are_taken_or_refused_never_a_server_error(world, db):
    client = Client()

    @FUZZ
    @given(key=st.text(max_size=140) | st.text(alphabet="abc-_019", min_size=20, max_size=24))
    def check(key):
        before = _stored()
        response = client.post(
            INTAKE_API,
            json.dumps({"what_happened": f"resend {key!r}"}),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
            **_fresh_address(),
        )
        if key == "" or (22 <= len(key) <= 128 and key.isascii() and key.isprintable()):
            assert response.status_code == 201, response.content
        else:
            assert response.status_code == 422, response.content
            assert response.json()["detail"]
            assert _stored() == before

    check()


def test_the_api_refuses_a_report_of_only_invisible_separators_as_the_form_does(world, db):
    """What happened is required. U+001C..U+001F are whitespace to the form (str.strip),
    which refuses them; pydantic's strip keeps them, so the API files an empty report."""
    separators = "\x1c\x1d\x1e\x1f"
    for separator in separators:
        form = Client().post(INTAKE_FORM, {"what_happened": separator}, **_fresh_address())
        assert form.status_code == 400
    before = _stored()
    answers = [
        Client()
        .post(
            INTAKE_API,
            json.dumps({"what_happened": separator * 3}),
            content_type="application/json",
            **_fresh_address(),
        )
        .status_code
        for separator in separators
    ]
    assert answers == [422] * 4
    assert _stored() == before


# fmt: off
NUL_INPUTS = [
    pytest.param("GET", "/api/v1/events/a%00b", None, id="event path"),
    pytest.param("POST", "/api/v1/events/a%00b/reports", {"what_happened": "x"}, id="intake path"),
    pytest.param("POST", "/api/v1/auth/token", {"username": "le\x00ad", "password": "x"},
                 id="token username"),
    pytest.param("POST", INTAKE_API, {"what_happened": "a\x00b"}, id="intake text"),
    pytest.param("POST", INTAKE_API, {"what_happened": "x", "exclude_staff": ["a\x00"]},
                 id="intake exclude"),
    pytest.param("GET", "/api/v1/receipt", None, id="receipt header"),
    pytest.param("GET", "/e/a%00b/", None, id="event page"),
    pytest.param("POST", "/staff/login/", {"username": "le\x00ad", "password": "x"}, id="login"),
    pytest.param("POST", "/receipt/", {"receipt": "\x00" * 28}, id="receipt form"),
    pytest.param("POST", "/staff/password/forgot/", {"email": "a\x00@example.org"}, id="forgot"),
]
# fmt: on


@pytest.mark.parametrize(("method", "path", "data"), NUL_INPUTS)
def test_nul_bytes_never_cause_a_server_error_on_any_database(world, db, method, path, data):
    client = Client(HTTP_X_RECEIPT="\x00" * 28, raise_request_exception=False)
    if path.startswith("/api/"):
        body, content_type = json.dumps(data) if data else "", "application/json"
    else:
        body, content_type = urlencode(data or {}), "application/x-www-form-urlencoded"
    response = client.generic(method, path, body, content_type=content_type)
    assert response.status_code < 500, response.status_code


# The form: mostly plausible posts, then odd values, unknown and repeated keys, huge
# bodies and too many fields. "@member" stands for a real key of the form's staff list.
_FORM_CHOICES = {
    "danger_now": ("", "yes", "no"),
    "still_going_on": ("", "yes", "no", "unsure"),
    "reporter_relation": ("", *RELATIONS),
    "law_enforcement": ("", *LAW),
}
_form_plausible = st.one_of(
    st.tuples(st.sampled_from(TEXT_FIELDS), _texts),
    *[st.tuples(st.just(k), st.sampled_from(allowed)) for k, allowed in _FORM_CHOICES.items()],
    st.tuples(st.just("exclude_staff"), st.just("@member")),
)
_form_odd = st.tuples(
    st.sampled_from([*TEXT_FIELDS, *_FORM_CHOICES, "exclude_staff", "submission_key"])
    | st.text(max_size=10),
    st.one_of(_texts, st.sampled_from(["yes", "maybe", "@member", "0", HUGE]))
    | st.sampled_from(TEXT_FIELDS).flatmap(lambda name: _near_limit(FIELD_LIMITS[name])),
)
_first = st.tuples(st.just("what_happened"), _texts)
_form_pairs = st.one_of(
    st.builds(lambda first, rest: [first, *rest], _first, st.lists(_form_plausible, max_size=8)),
    st.builds(
        lambda first, rest, odd: [first, *rest, *odd],
        _first,
        st.lists(_form_plausible, max_size=6),
        st.lists(_form_odd, min_size=1, max_size=3),
    ),
    st.lists(_form_plausible | _form_odd, max_size=8),
    st.lists(st.just(("f", "1")), min_size=FIELD_COUNT_LIMIT + 1, max_size=FIELD_COUNT_LIMIT + 5),
)


def _form_accepts(pairs, members: set[str]) -> bool:
    """Django's rules for the report form: a key's last value counts, text is stripped
    before its length is checked, and NUL is refused in every text field."""
    last = dict(pairs)
    if not last.get("what_happened", "").strip():
        return False
    for name, limit in FIELD_LIMITS.items():
        value = last.get(name, "").strip()
        if len(value) > limit or "\x00" in value:
            return False
    if any(last.get(name, "") not in allowed for name, allowed in _FORM_CHOICES.items()):
        return False
    if "\x00" in last.get("submission_key", ""):
        return False
    return all(value in members for key, value in pairs if key == "exclude_staff")


def test_fuzzed_report_form_files_good_reports_and_refuses_the_rest(world, db):
    client = Client()
    listed = Membership.objects.acknowledged().filter(event__slug="conf", shown_publicly=True)
    members = {str(pk) for pk in listed.values_list("pk", flat=True)}
    member = min(members)

    @FUZZ
    @given(pairs=_form_pairs)
    def check(pairs):
        pairs = [(k, member if v == "@member" else _expand(v)) for k, v in pairs]
        body = urlencode(pairs)
        before = _stored()
        response = client.post(
            INTAKE_FORM, body, content_type="application/x-www-form-urlencoded", **_fresh_address()
        )
        status = response.status_code
        assert status < 500, f"{status} for {body[:300]!r}"
        too_big = len(body.encode()) > BODY_LIMIT or len(pairs) > FIELD_COUNT_LIMIT
        if not too_big and _form_accepts(pairs, members):
            assert status == 200, (status, pairs)
            assert RECEIPT_SHOWN.search(response.content.decode())
            assert _stored()["Report"] - before["Report"] in {0, 1}  # 0: a resend
            return
        assert status == 400, (status, pairs[:5])
        assert _stored() == before, "a refused report left rows behind"

    check()


# === 2. Schemathesis on the OpenAPI schema ============================================

SCHEMA = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
OPERATIONS = [result.ok().label for result in SCHEMA.get_all_operations()]
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
SCHEMA_DEFECTS: dict[str, str] = {}


def _through_wsgi(check):
    """Run `check` with the WSGI handler's connection closing switched off: inside the
    test's transaction every connection looks stale (Django's test client does this too)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        check()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def _fuzz_operation(world, label: str, checks: list, *, max_examples: int):
    operation = SCHEMA.find_operation_by_label(label)
    own = {"event": world.conf.slug, "case_id": world.conf.case_id}
    own["report_id"] = world.conf.report_id
    fixed = {p.name: own[p.name] for p in operation.path_parameters if p.name in own}
    strategies = [operation.as_strategy(generation_mode=mode) for mode in MODES]
    if fixed:  # half the examples reach a real event, case or report
        strategies += [operation.as_strategy(mode, path_parameters=fixed) for mode in MODES]
    headers = {
        "Authorization": f"Bearer {world.conf.tokens['lead']}",
        "X-Receipt": world.conf.receipt,
    }

    @hypothesis_settings(FUZZ, max_examples=max_examples, derandomize=True)
    @given(case=st.one_of(strategies))
    def check(case):
        response = case.call(headers=headers, environ_base=_fresh_address())
        case.validate_response(response, checks=checks)

    _through_wsgi(check)


@pytest.mark.parametrize("label", OPERATIONS)
def test_schemathesis_finds_no_server_error(world, db, label):
    _fuzz_operation(world, label, [not_a_server_error], max_examples=30)


@pytest.mark.parametrize("label", _defects(OPERATIONS, SCHEMA_DEFECTS))
def test_schemathesis_answers_match_the_documented_schema(world, db, label):
    _fuzz_operation(world, label, [response_schema_conformance], max_examples=20)


# === 3. Receipt guessing ==============================================================

_well_formed = st.text(alphabet=receipts.ALPHABET, min_size=28, max_size=28)


def _typed(receipt: str, how: str) -> str:
    groups = [receipt[i : i + 4] for i in range(0, len(receipt), 4)]
    return {
        "plain": receipt,
        "dashed": "-".join(groups),
        "lower": "-".join(groups).lower(),
        "spaced": " ".join(groups),
        "confusable": receipt.replace("0", "O").replace("1", "I"),
    }[how]


# Malformed, past the form's own checks (not blank, at most 80 characters, no NUL:
# refusing those says nothing about receipts): wrong length, a letter not in the
# alphabet, punctuation, other scripts.
_malformed = st.one_of(
    st.text(alphabet=receipts.ALPHABET, min_size=1, max_size=27),
    st.text(alphabet=receipts.ALPHABET, min_size=29, max_size=60),
    st.builds(lambda s, i: s[:i] + "U" + s[i + 1 :], _well_formed, st.integers(0, 27)),
    st.text(min_size=1, max_size=80),
).filter(lambda text: text.strip() and "\x00" not in text and receipts.normalise(text) is None)
_ECHOED = re.compile(r'(name="(?:receipt|csrfmiddlewaretoken)"[^>]*? value=")[^"]*(")')


def _page_shape(response) -> tuple[int, str]:
    """Status and page, with the echoed receipt and the CSRF token blanked."""
    return response.status_code, _ECHOED.sub(r"\1…\2", response.content.decode())


def test_guessed_receipts_fail_exactly_as_malformed_ones(world, db):
    client = Client()
    page = _page_shape(client.post("/receipt/", {"receipt": "nope"}, **_fresh_address()))
    api = client.get("/api/v1/receipt", HTTP_X_RECEIPT="nope", **_fresh_address())
    assert (page[0], api.status_code) == (404, 404)
    typed = st.sampled_from(["plain", "dashed", "lower", "spaced"])

    @FUZZ
    @given(guess=st.builds(_typed, _well_formed, typed) | _malformed)
    def check(guess):
        answer = client.post("/receipt/", {"receipt": guess}, **_fresh_address())
        assert _page_shape(answer) == page, guess
        answer = client.get("/api/v1/receipt", HTTP_X_RECEIPT=guess, **_fresh_address())
        assert (answer.status_code, answer.json()) == (404, api.json()), guess

    check()


@pytest.mark.parametrize("how", ["plain", "dashed", "lower", "spaced", "confusable"])
def test_a_valid_receipt_opens_the_report_however_it_is_typed(world, db, how):
    typed = _typed(world.conf.receipt, how)
    page = Client().post("/receipt/", {"receipt": typed}, **_fresh_address())
    assert page.status_code == 200
    assert CANARY in page.content.decode()
    api = Client().get("/api/v1/receipt", HTTP_X_RECEIPT=typed, **_fresh_address())
    assert api.status_code == 200
    assert CANARY in api.json()["report"]["what_happened"]


def _queries(receipt_text: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        Client().get("/api/v1/receipt", HTTP_X_RECEIPT=receipt_text, **_fresh_address())
    return [query["sql"] for query in captured.captured_queries]


def test_hits_and_misses_take_the_same_keyed_hash_lookup(world, db):
    """Structural timing proof: the receipt never meets the database or a comparison;
    its HMAC does, through one indexed equality lookup, for hits and misses alike, and
    a near miss runs exactly the queries a far miss runs. (A hit then does more work,
    opening the report: by then the guess was right.)"""
    hit = world.conf.receipt
    tries = {"hit": hit, "near": hit[:-1] + ("1" if hit[-1] != "1" else "2")}
    tries["far"] = "".join("Z" if ch != "Z" else "Y" for ch in hit)
    field = Report._meta.get_field("receipt_digest")
    assert field.unique or field.db_index, "receipt lookups must use an index"
    digest = re.compile(r"[0-9a-f]{64}")
    runs = {name: _queries(receipt) for name, receipt in tries.items()}
    lookups = {}
    for name, sql in runs.items():
        for receipt in tries.values():
            assert receipt not in " ".join(sql), f"{name}: a receipt reached the database"
        lookups[name] = next(q for q in sql if "receipt_digest" in q)
        assert receipts.digest(tries[name]) in lookups[name], name
    assert len({digest.sub("…", lookup) for lookup in lookups.values()}) == 1

    def shape(query):
        # Rate-limit counts on PostgreSQL (web.shared) are keyed by the client's address
        # (a fresh one per request here) and the clock, never by the receipt.
        if "web_sharedstate" in query:
            return re.sub(r"'[^']*'|\d+", "…", query)
        return digest.sub("…", query)

    assert [shape(q) for q in runs["near"]] == [shape(q) for q in runs["far"]]
    with mock.patch.object(receipts, "digest", wraps=receipts.digest) as keyed:
        for receipt in tries.values():
            Client().get("/api/v1/receipt", HTTP_X_RECEIPT=receipt, **_fresh_address())
    assert set(tries.values()) <= {call.args[0] for call in keyed.call_args_list}


def test_a_near_miss_takes_as_long_as_a_far_miss(world, db):
    """Statistical backstop, robust on a busy machine: pairs of requests (a near miss and
    a fresh far miss) in random order, and a sign test on which of each pair was slower.
    Load bursts hit both orders alike; a systematic difference tips the count."""
    near_miss = world.conf.receipt[:-1] + ("1" if world.conf.receipt[-1] != "1" else "2")
    client = Client()
    order = random.Random(20261125)

    def timed(receipt_text):
        started = time.perf_counter()
        response = client.get("/api/v1/receipt", HTTP_X_RECEIPT=receipt_text, **_fresh_address())
        elapsed = time.perf_counter() - started
        assert response.status_code == 404
        return elapsed

    pairs, near_slower = 150, 0
    gc.disable()
    try:
        for _ in range(pairs):
            far_miss = receipts.new_receipt()
            if order.random() < 0.5:
                near, far = timed(near_miss), timed(far_miss)
            else:
                far, near = timed(far_miss), timed(near_miss)
            near_slower += near > far
    finally:
        gc.enable()
    # Without a leak near_slower ~ Binomial(150, 1/2): 35..115 is more than six standard
    # deviations either way, while a difference larger than the noise lands near 0 or 150.
    assert 35 <= near_slower <= 115, f"a near miss was slower in {near_slower} of {pairs} pairs"


# === 4. IDOR: another event's ids =====================================================


@dataclass(frozen=True)
class Attack:
    name: str
    role: str  # whose session or token: lead, admin or staff of the attacking event
    method: str
    path: str  # "{t.…}": the target event's ids; "{a.…}": the attacker's own
    data: dict | None = None


_CASE = "/staff/cases/{t.case_id}/"
_MEMBER = "/staff/manage/events/{a.slug}/staff/{t.member_id}/"
_API_CASE = "/api/v1/cases/{t.case_id}"
_VERSION = {"version": "{t.case_version}"}
# fmt: off
ATTACKS = [
    Attack("case page", "lead", "GET", _CASE),
    Attack("case note", "lead", "POST", _CASE, {"action": "note", "text": "x"}),
    Attack("case message", "lead", "POST", _CASE, {"action": "message", "text": "x"}),
    Attack("case status", "lead", "POST", _CASE,
           {"action": "status", "status": "acknowledged", **_VERSION}),
    Attack("alert retry", "lead", "POST", "/staff/alerts/{t.message_id}/retry/", {}),
    Attack("member page", "admin", "GET", _MEMBER),
    Attack("member edit", "admin", "POST", _MEMBER,
           {"action": "member", "member-role": "lead", "member-phone": "+1 555"}),
    Attack("member shift", "admin", "POST", _MEMBER, {"action": "shift",
           "shift-starts_at": "2030-01-01T09:00", "shift-ends_at": "2030-01-01T12:00"}),
    Attack("member invite", "admin", "POST", _MEMBER, {"action": "invite"}),
    Attack("shift delete", "admin", "POST", _MEMBER + "shifts/{t.shift_id}/delete/", {}),
    Attack("shift delete via own member", "admin", "POST",
           "/staff/manage/events/{a.slug}/staff/{a.member_id}/shifts/{t.shift_id}/delete/", {}),
    Attack("briefing attendance", "admin", "POST", "/staff/manage/events/{a.slug}/briefings/",
           {"action": "attendance", "briefing": "{t.briefing_id}", "attended": "{t.member_id}"}),
    Attack("rota shift delete", "lead", "POST", "/staff/events/{a.slug}/rota/",
           {"action": "delete", "shift": "{t.shift_id}"}),
    *[Attack(f"channel {action}", "lead", "POST", "/staff/channels/",
             {"action": action, "channel": "{t.channel_id}"})
      for action in ("toggle", "primary", "test", "delete")],
    Attack("api report", "lead", "GET", "/api/v1/reports/{t.report_id}"),
    Attack("api report taken", "staff", "GET", "/api/v1/reports/{t.report_id}"),
    Attack("api case", "lead", "GET", _API_CASE),
    Attack("api acknowledge", "lead", "POST", _API_CASE + "/acknowledge", _VERSION),
    Attack("api status", "lead", "POST", _API_CASE + "/status",
           {"status": "acknowledged", **_VERSION}),
    Attack("api note", "lead", "POST", _API_CASE + "/notes", {"text": "x"}),
    Attack("api message", "lead", "POST", _API_CASE + "/messages", {"text": "x"}),
    Attack("api message to a report of another case", "lead", "POST",
           "/api/v1/cases/{a.case_id}/messages", {"text": "x", "report_id": "{t.report_id}"}),
]
# fmt: on
ATTACK_DEFECTS: dict[str, str] = {}
UNCHANGING = {"channel primary"}  # the control's channel is primary already


def _fill(value, target: Side, attacker: Side):
    if isinstance(value, dict):
        return {k: _fill(v, target, attacker) for k, v in value.items()}
    return value.format(t=target, a=attacker) if isinstance(value, str) else value


def _send(attack: Attack, attacker: Side, target: Side):
    path = _fill(attack.path, target, attacker)
    data = _fill(attack.data, target, attacker)
    if path.startswith("/api/"):
        if data and "version" in data:
            data["version"] = int(data["version"])
        client = Client(HTTP_AUTHORIZATION=f"Bearer {attacker.tokens[attack.role]}")
        body = json.dumps(data) if data is not None else ""
        return client.generic(attack.method, path, body, content_type="application/json")
    client = _browser(attacker.cookies[attack.role])
    return client.get(path) if attack.method == "GET" else client.post(path, data)


@pytest.mark.parametrize("direction", ["into conf", "out of conf"])
@pytest.mark.parametrize("attack", _defects(ATTACKS, ATTACK_DEFECTS, key=lambda a: a.name))
def test_an_id_of_another_event_is_a_404_and_changes_nothing(world, db, attack, direction):
    attacker, target = (world.other, world.conf)
    if direction == "out of conf":
        attacker, target = target, attacker
    before = _snapshot()
    response = _send(attack, attacker, target)
    assert response.status_code == 404, (response.status_code, response.get("Location"))
    assert CANARY not in response.content.decode(errors="replace")
    assert not _changed(before, _snapshot()), "the request changed something"
    # Control: the same request on the attacker's own object is answered and acts, so
    # the 404 above is the id's doing (and "nothing changed" could have seen a change).
    control = _send(attack, attacker, attacker)
    assert control.status_code not in {404, 500}, f"control: {control.status_code}"
    if attack.method == "POST" and attack.name not in UNCHANGING:
        assert _changed(before, _snapshot()), "the control changed nothing"


def test_attendance_for_another_events_member_is_never_recorded(world, db):
    before = _snapshot()
    response = _browser(world.other.cookies["admin"]).post(
        f"/staff/manage/events/{world.other.slug}/briefings/",
        {
            "action": "attendance",
            "briefing": world.other.briefing_id,
            "attended": world.conf.member_id,
        },
    )
    assert response.status_code in {302, 404}
    assert not _changed(before, _snapshot())


def _page_patterns(patterns=None, prefix="", namespace=""):
    """(name, pattern) of every URL pattern outside the bearer-token API (the matrix's
    walk): a new page is covered by the tests below without being listed."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _page_patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            if not (name or "").startswith("api:"):
                yield name or prefix + str(entry.pattern), entry.pattern


PAGES = dict(_page_patterns())
IDS = ("case_id", "report_id", "message_id", "member_id", "shift_id")


def _kwargs(pattern, side: Side, world: World, *, ids=None) -> dict:
    """The side's slugs and ids (or `ids`) where the pattern names them; for any other
    kwarg, a value its converter takes (a made-up id, nobody's)."""
    known = {name: getattr(side, name) for name in ("slug", "org_slug", *IDS)}
    known.update(world.link)
    known.update(ids or {})
    made_up = {"UUIDConverter": uuid.uuid4(), "IntConverter": 2**31 - 1, "YearConverter": 2999}
    return {
        kwarg: known[kwarg] if kwarg in known else made_up.get(type(converter).__name__, "x")
        for kwarg, converter in pattern.converters.items()
    }


ID_PAGES = sorted(name for name, pattern in PAGES.items() if set(pattern.converters) & set(IDS))


@pytest.mark.parametrize("name", ID_PAGES)
def test_every_page_answers_another_events_id_as_a_missing_one(world, db, name):
    """Generic IDOR guard: another event's case, alert, member or shift id answers exactly
    as a made-up id does (404 or 405), to its lead who also runs the event, and changes
    nothing. The event slug in the URL is the attacker's own."""
    attacker, target = world.other, world.conf
    OrganiserAdmin.objects.create(
        organisation=Event.objects.get(slug=attacker.slug).organisation,
        user=get_user_model().objects.get(username="outsider"),
    )
    browser = _browser(attacker.cookies["lead"])
    foreign = {i: getattr(target, i) for i in IDS}
    missing = {"case_id": uuid.uuid4(), "report_id": uuid.uuid4(), "message_id": uuid.uuid4()}
    missing |= {"member_id": 2**31 - 1, "shift_id": 2**31 - 1}
    before = _snapshot()
    for method in ("get", "post"):
        answers = [
            getattr(browser, method)(
                reverse(name, kwargs=_kwargs(PAGES[name], attacker, world, ids=ids))
            )
            for ids in (foreign, missing)
        ]
        assert answers[0].status_code == answers[1].status_code, (method, answers)
        assert answers[0].status_code in {404, 405}, (method, answers[0].status_code)
        assert CANARY not in answers[0].content.decode(errors="replace")
    assert not _changed(before, _snapshot())


ID_OPERATIONS = [
    label
    for label in OPERATIONS
    if {p.name for p in SCHEMA.find_operation_by_label(label).path_parameters} & set(IDS)
]


@pytest.mark.parametrize("label", ID_OPERATIONS)
def test_every_api_operation_answers_another_events_id_as_a_missing_one(world, db, label):
    """Generic IDOR guard for the API: for any body the schema allows, another event's
    case or report id gets the very answer a made-up id gets, never a 2xx, and nothing
    changes."""
    attacker, target = world.other, world.conf
    headers = {"Authorization": f"Bearer {attacker.tokens['lead']}"}
    operation = SCHEMA.find_operation_by_label(label)

    @hypothesis_settings(FUZZ, max_examples=8, derandomize=True)
    @given(case=operation.as_strategy(schemathesis.GenerationMode.POSITIVE))
    def check(case):
        before = _snapshot()
        answers = []
        for ids in ({i: getattr(target, i) for i in IDS}, {i: str(uuid.uuid4()) for i in IDS}):
            case.path_parameters.update({k: ids[k] for k in case.path_parameters if k in ids})
            response = case.call(headers=headers, environ_base=_fresh_address())
            answers.append((response.status_code, response.text))
        assert answers[0] == answers[1], answers
        assert 400 <= answers[0][0] < 500, answers[0]
        assert CANARY not in answers[0][1]
        assert not _changed(before, _snapshot())

    _through_wsgi(check)


# === 5. CSRF on every state-changing page =============================================

# What a forged form would post (ids from the world's "conf"); others post nothing.
FORGED = {
    "cases:detail": {"action": "note", "text": "forged"},
    "accounts:security": {"action": "sign_out_everywhere"},
    "accounts:change_password": {
        "old_password": factories.PASSWORD,
        "new_password1": "forged-password-123",
        "new_password2": "forged-password-123",
    },
    "notify:channels": {"action": "toggle", "channel": "{channel_id}"},
    "staff:rota": {"action": "delete", "shift": "{shift_id}"},
    "staff:briefings": {"action": "attendance", "briefing": "{briefing_id}"},
    "staff:member": {"action": "invite"},
    "staff:acknowledge": {"coc_version": "1", "guide_version": "1", "confirm": "on"},
    "receipt:followup": {"receipt": "{receipt}", "action": "add", "text": "forged"},
    "intake:report": {"what_happened": "forged"},
    "staff:take_report": {"what_happened": "forged", "channel": "in_person"},
}


# Called by a provider, signed with the channel's secret (intake.hooks), not by a browser.
PROVIDER_SIGNED = {name for name in PAGES if name.startswith("hooks:")}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(world, db, name):
    conf = world.conf
    path = reverse(name, kwargs=_kwargs(PAGES[name], conf, world))
    body = {k: v.format_map(vars(conf)) for k, v in FORGED.get(name, {}).items()}
    # The lead also runs the event here and gave the password a minute ago: every page
    # would act on a request that got through.
    OrganiserAdmin.objects.create(
        organisation=Event.objects.get(slug=conf.slug).organisation,
        user=get_user_model().objects.get(username="lead"),
    )
    browser = _browser(conf.cookies["lead"], enforce_csrf_checks=True)
    session = browser.session
    session["auth_at"] = int(time.time())
    session.save()
    assert browser.get("/staff/security/").status_code == 200  # sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    before = _snapshot()
    forged = [
        browser.post(path, body, **_fresh_address()),
        browser.post(path, {**body, "csrfmiddlewaretoken": "x" * 64}, **_fresh_address()),
        browser.post(
            path,
            {**body, "csrfmiddlewaretoken": token},
            HTTP_ORIGIN="https://evil.example",
            **_fresh_address(),
        ),
    ]
    if name in PROVIDER_SIGNED:
        # A provider's webhook carries no session and no CSRF token: its signature is
        # the check, and a CSRF token, however good, is no substitute for it.
        honest = browser.post(path, {**body, "csrfmiddlewaretoken": token}, **_fresh_address())
        assert {r.status_code for r in [*forged, honest]} <= {403, 404}, path
        assert not _changed(before, _snapshot()), f"an unsigned POST to {path} changed something"
        return
    assert [r.status_code for r in forged] == [403, 403, 403], path
    assert not _changed(before, _snapshot()), f"a forged POST to {path} changed something"
    assert browser.get("/staff/security/").status_code == 200, "a forged POST signed out"
    # Control: with the token, the same POST gets past the CSRF check.
    honest = browser.post(path, {**body, "csrfmiddlewaretoken": token}, **_fresh_address())
    assert honest.status_code != 403, path


# === 6. Open redirects ================================================================

# fmt: off
OFF_SITE = [
    "//evil.example", "///evil.example", "////evil.example/", "https://evil.example",
    "http://evil.example/staff/", "https:evil.example", "https:/evil.example",
    "/\\evil.example", "\\\\evil.example", "\\/evil.example", "/\t/evil.example",
    " //evil.example", "\x00//evil.example", "//testserver@evil.example",
    "https://testserver.evil.example", "https://evil.example#@testserver", "//evil%2Eexample",
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
]
# fmt: on
SAFE_NEXT = "/staff/security/"


def _stays_on_site(location: str) -> bool:
    """Where a browser goes: the WHATWG URL parser trims controls and spaces, drops tabs
    and newlines, reads a backslash as a slash in http(s) URLs, and takes any run of two
    or more leading slashes as the start of a host."""
    cleaned = location.strip("".join(chr(c) for c in range(0x21)))
    cleaned = re.sub(r"[\t\n\r]", "", cleaned).replace("\\", "/")
    cleaned = re.sub(r"^/{2,}", "//", cleaned)
    target = urlsplit(urljoin("http://testserver/staff/login/", cleaned))
    return target.scheme in {"http", "https"} and target.hostname == "testserver"


def test_every_off_site_target_is_recognised_as_off_site():
    """Control for the tests below: echoed verbatim, each target would be caught."""
    assert _stays_on_site(SAFE_NEXT)
    assert not [target for target in OFF_SITE if _stays_on_site(target)]


def _login(client, person, **extra):
    data = {"username": person.username, "password": factories.PASSWORD, **extra.pop("data", {})}
    return client.post("/staff/login/", data, **extra, **_fresh_address())


def _unverified(person):
    client = Client()
    assert _login(client, person).status_code == 302
    return client


def _code(person):
    person.totpdevice_set.update(last_t=-1)  # a code is taken once per 30 s window
    return factories.otp()


def _signed_in(person):
    return factories.sign_in(Client(), person)


FLOWS = {
    "sign-in, next in the query": lambda p, n: _login(
        Client(), p, QUERY_STRING=urlencode({"next": n})
    ),
    "sign-in, next in the body": lambda p, n: _login(Client(), p, data={"next": n}),
    "sign-in page, signed in": lambda p, n: _signed_in(p).get("/staff/login/", {"next": n}),
    "second factor": lambda p, n: _unverified(p).post(
        "/staff/login/verify/?" + urlencode({"next": n}), {"code": _code(p)}
    ),
    "second factor, next in the body": lambda p, n: _unverified(p).post(
        "/staff/login/verify/", {"code": _code(p), "next": n}
    ),
    "second factor page, verified": lambda p, n: _signed_in(p).get(
        "/staff/login/verify/", {"next": n}
    ),
    "re-auth": lambda p, n: _signed_in(p).post(
        "/staff/login/again/?" + urlencode({"next": n}), {"password": factories.PASSWORD}
    ),
    "re-auth, next in the body": lambda p, n: _signed_in(p).post(
        "/staff/login/again/", {"password": factories.PASSWORD, "next": n}
    ),
    "sign-out": lambda p, n: _signed_in(p).post("/staff/logout/?" + urlencode({"next": n})),
}


@pytest.mark.parametrize("flow", FLOWS)
def test_next_never_redirects_off_site(db, flow):
    person = factories.user("wanderer", "Wanda", "Wanderer")
    send = FLOWS[flow]
    control = send(person, SAFE_NEXT)
    assert (control.status_code, control["Location"]) == (302, SAFE_NEXT), "next is ignored"
    escaped = []
    for target in OFF_SITE:
        response = send(person, target)
        assert response.status_code == 302, (target, response.status_code)
        if not _stays_on_site(response["Location"]):
            escaped.append((target, response["Location"]))
    assert not escaped, f"{flow} redirects off-site: {escaped}"


@pytest.mark.parametrize(
    ("page", "state"),
    [
        ("/staff/login/", "anonymous"),
        ("/staff/login/verify/", "unverified"),
        ("/staff/login/again/", "signed in"),
        ("/staff/2fa/setup/", "signed in"),
    ],
)
def test_pages_never_echo_an_off_site_next_into_links_or_forms(db, page, state):
    person = factories.user("wanderer", "Wanda", "Wanderer")
    client = {"anonymous": Client, "unverified": lambda: _unverified(person)}.get(
        state, lambda: _signed_in(person)
    )()
    for target in OFF_SITE:
        response = client.get(page, {"next": target})
        body = response.content.decode().lower()
        assert response.status_code in {200, 302}, (page, target, response.status_code)
        # The host, however encoded; never "evil" alone, which a random token can hold.
        assert not re.search(r"evil(\.|%2e|%25|&#)", body), (page, target)
        assert "javascript:" not in body, (page, target)
        if response.status_code == 302:
            assert _stays_on_site(response["Location"]), (page, target)


# === 7. Stored XSS ====================================================================

PAYLOAD = "<script>alert(1)</script>\"'><img src=x onerror=alert(1)>"
RAW_MARKUP = ("<script>alert(", "<img src=x")  # what must never reach a page unescaped


def _tagged(tag: str) -> str:
    if tag == "event-emergency_number":  # 32 characters at most
        return "n:\"'><script>alert(1)</script>"
    return f"{tag}:{PAYLOAD}"


def _assert_escaped(body: str, expected: list[str], where: str):
    for raw in RAW_MARKUP:
        assert raw not in body, f"{where} carries unescaped markup ({raw!r})"
    missing = [text.split(":")[0] for text in expected if escape(text) not in body]
    assert not missing, f"{where} does not show (escaped): {missing}"


def _open_case(client, case_id):
    """The case page as its reader sees it, after declaring no conflict if asked to."""
    page = client.get(f"/staff/cases/{case_id}/")
    if 'name="action" value="declare"' in page.content.decode():
        client.post(f"/staff/cases/{case_id}/", {"action": "declare", "choice": "no_conflict"})
        page = client.get(f"/staff/cases/{case_id}/")
    return page


def test_script_payloads_are_shown_only_escaped(world, db):
    event = Event.objects.get(slug="conf")
    event_fields = ["name", "venue", "emergency_number", "venue_security_contact"]
    event_fields += ["staff_recognition", "code_of_conduct_text"]
    Event.objects.filter(pk=event.pk).update(**{f: _tagged(f"event-{f}") for f in event_fields})
    responder = Membership.objects.get(pk=world.conf.member_id).user
    staffer = Membership.objects.get(event=event, user__username="staffer").user
    for person, tag in ((responder, "responder"), (staffer, "staffer")):
        person.first_name, person.last_name = _tagged(f"{tag}-first"), _tagged(f"{tag}-last")
        person.save(update_fields=["first_name", "last_name"])

    report = {f: _tagged(f"form-{f}") for f in TEXT_FIELDS}
    form = Client().post(INTAKE_FORM, report, **_fresh_address())
    assert form.status_code == 200
    _assert_escaped(form.content.decode(), [_tagged("event-name")], "the receipt page")
    receipt = RECEIPT_SHOWN.search(form.content.decode()).group()
    report = {f: _tagged(f"api-{f}") for f in TEXT_FIELDS}
    api = Client().post(INTAKE_API, json.dumps(report), content_type="application/json")
    assert api.status_code == 201
    taken = _browser(world.conf.cookies["staff"]).post(
        "/staff/events/conf/report/",
        {"channel": "in_person", "what_happened": _tagged("taken-what_happened")},
    )
    assert taken.status_code == 200
    by_form = Report.objects.filter(channel="web").latest("received_at").case_id
    by_api = Report.objects.get(pk=api.json()["report_id"]).case_id
    by_staff = Report.objects.filter(taken_by=staffer).latest("received_at").case_id
    lead = _browser(world.conf.cookies["lead"])
    lead_user = Membership.objects.get(event=event, user__username="lead").user
    for case_id in (by_form, by_api, by_staff):
        factories.declared(Case.objects.get(pk=case_id), lead_user)
    for action in ("note", "message"):
        done = lead.post(f"/staff/cases/{by_form}/", {"action": action, "text": _tagged(action)})
        assert done.status_code == 302, action
    addition = {"receipt": receipt, "action": "add", "text": _tagged("addition")}
    assert Client().post("/receipt/", addition).status_code == 200

    form_fields = [_tagged(f"form-{f}") for f in TEXT_FIELDS]
    thread = [_tagged("message"), _tagged("addition")]
    names = [_tagged("responder-first"), _tagged("responder-last")]
    pages = {
        "the case page (form)": (
            _open_case(lead, by_form),
            [*form_fields, *thread, _tagged("note")],
        ),
        "the case page (API)": (
            _open_case(lead, by_api),
            [_tagged(f"api-{f}") for f in TEXT_FIELDS],
        ),
        "the case page (staff)": (
            _open_case(lead, by_staff),
            [_tagged("taken-what_happened"), _tagged("staffer-first"), _tagged("staffer-last")],
        ),
        "the dashboard": (lead.get("/staff/"), [_tagged("event-name")]),
        "the follow-up page": (
            Client().post("/receipt/", {"receipt": receipt}),
            [*form_fields, *thread, _tagged("event-name")],
        ),
        "the public event page": (
            Client().get("/e/conf/"),
            [*(_tagged(f"event-{f}") for f in event_fields), *names],
        ),
        "the report form": (Client().get(INTAKE_FORM), [_tagged("event-name"), *names]),
    }
    for where, (response, expected) in pages.items():
        assert response.status_code == 200, where
        _assert_escaped(response.content.decode(), expected, where)


def test_a_script_link_is_refused_as_the_code_of_conduct_link(world, db):
    event = Event.objects.get(slug="conf")
    admin = _browser(world.conf.cookies["admin"])
    fields = model_to_dict(event, fields=EventForm._meta.fields)
    data = {k: v for k, v in fields.items() if v is not None}
    for link in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>"):
        response = admin.post("/staff/manage/events/conf/", {**data, "code_of_conduct_url": link})
        assert response.status_code == 400, link
        event.refresh_from_db()
        assert not event.code_of_conduct_url.lower().startswith(("javascript", "data"))
    plain = {**data, "code_of_conduct_url": "https://example.org/coc"}
    assert admin.post("/staff/manage/events/conf/", plain).status_code == 302  # control


# === 8. Path traversal in upload file names ===========================================

# fmt: off
TRAVERSAL = [
    "../../etc/passwd-{mark}", "..\\..\\windows\\{mark}.ini", "/etc/{mark}", "C:\\{mark}.txt",
    "....//....//{mark}", "%2e%2e%2f%2e%2e%2f{mark}", "{mark}\x00.txt", "../" * 40 + "{mark}",
    "{mark}" + "a" * 5000 + ".txt",
]
# fmt: on
# The upload points a stranger reaches; add each new upload field here.
UPLOADS = {
    "report form": lambda world: (INTAKE_FORM, {"what_happened": "Something happened."}),
    "follow-up": lambda world: (
        "/receipt/",
        {"receipt": world.conf.receipt, "action": "add", "text": "More."},
    ),
}


def _multipart(fields: dict, field: str, filename: str, content: bytes):
    """Built by hand: Django's test client would send only the name's last part."""
    boundary = "ombud-adversarial-boundary"
    head = f"--{boundary}\r\nContent-Disposition: form-data; "
    parts = [f'{head}name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
    quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
    parts.append(
        f'{head}name="{field}"; filename="{quoted}"\r\nContent-Type: text/plain\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _written_anywhere(mark: str) -> list[str]:
    """Files named after the mark, or holding it, in the data directory; files named
    after it in the working, temporary and upload directories and where ../ leads."""
    data = Path(settings.DATA_DIR)
    found = [str(p) for p in data.rglob("*") if mark in p.name]
    found += [str(p) for p in data.rglob("*") if p.is_file() and mark.encode() in p.read_bytes()]
    roots = [data, Path.cwd(), Path(tempfile.gettempdir()), Path("/etc")]
    roots += [Path(p) for p in (settings.MEDIA_ROOT, settings.FILE_UPLOAD_TEMP_DIR) if p]
    for root in roots:
        found += [str(p) for p in (*root.glob(f"*{mark}*"), *root.parent.glob(f"*/*{mark}*"))]
    return sorted(set(found))


def test_the_file_system_search_finds_a_planted_file(db):
    """Control for the test below: a file named after the mark is found."""
    mark = f"ombudtraversal{uuid.uuid4().hex[:12]}"
    planted = Path(settings.DATA_DIR) / "tmp" / f"x{mark}"
    planted.parent.mkdir(exist_ok=True)
    planted.write_text("planted")
    try:
        assert _written_anywhere(mark) == [str(planted)]
    finally:
        planted.unlink()


@pytest.mark.parametrize("field", ["attachments", "evidence"])
@pytest.mark.parametrize("name", TRAVERSAL, ids=lambda name: name[:24])
@pytest.mark.parametrize("upload", UPLOADS)
def test_upload_file_names_never_reach_the_file_system(world, db, upload, field, name):
    """Refused with a 4xx and nothing stored, or kept (sealed) under the last part of its
    name only; never a 5xx, never a file on disk."""
    mark = f"ombudtraversal{uuid.uuid4().hex[:12]}"
    filename = name.format(mark=mark)
    path, fields = UPLOADS[upload](world)
    content = f"root:x:0:0:{mark}:/root:/bin/sh\n".encode()
    body, content_type = _multipart(fields, field, filename, content)
    before = _stored()
    response = Client().post(path, body, content_type=content_type, **_fresh_address())
    assert response.status_code < 500, response.status_code
    assert not _written_anywhere(mark)
    if response.status_code >= 400:
        assert _stored() == before, "a refused upload left rows behind"
        return
    assert response.status_code == 200
    case = Case.objects.order_by("-updated_at").first().pk
    page = _open_case(_browser(world.conf.cookies["lead"]), case).content.decode()
    for shown in re.finditer(mark, page):
        name_shown = page[: shown.start()].rsplit(">", 1)[-1]
        assert "/" not in name_shown, f"the file name kept a path: {name_shown!r}"
        assert "\\" not in name_shown, f"the file name kept a path: {name_shown!r}"
