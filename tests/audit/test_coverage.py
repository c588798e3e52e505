"""Every state change is a service that writes its audit entry in its own transaction.

Each service in the catalogue (tests/audit/roster_services.py, case_services.py)
is called twice on a world built with tests/factories.py: first with the audit
log failing - the database must then be exactly as it was, so the change and its
entry share one transaction - and then for real, when it must write exactly the
entries the catalogue lists, each inside a transaction the service opened. A
service that stops auditing, or audits outside its change's transaction, fails here.

The catalogue cannot silently fall behind: every registered action must be
written by a service in it (or be listed below with the reason it is not), every
action code in the source must be registered, and every service function that
opens its own transaction must be in it (or be listed below with the reason).
"""

import ast
import importlib
import pkgutil
from collections import Counter
from pathlib import Path

import pytest
from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction

import ombud
from ombud.audit import services as audit_services
from ombud.audit.actions import ACTIONS
from ombud.audit.models import ActorKind, Entry
from ombud.staff import roster
from tests.audit import (  # noqa: F401 -- they fill the catalogue
    account_services,
    attendee_services,
    case_services,
    records_services,
    roster_services,
    transparency_services,
)
from tests.audit.catalogue import SERVICES

pytestmark = pytest.mark.django_db

# Registered actions no service in the catalogue writes, and why: for an action
# registered ahead of the work that writes it, or written where no service can be
# called in a test. Empty now; an entry here needs its reason.
WRITTEN_ELSEWHERE: dict[str, str] = {}

# Service functions that open their own transaction but write no audit entry, and why.
NOT_AUDITED = {
    "ombud.accounts.services.send_password_link": "queues an e-mail for the use case that "
    "calls it, which writes the entry (staff.invite: staff.invitation_sent)",
}

# Where service functions live: every ``services`` module, and these.
SERVICE_MODULES = ("ombud.staff.rota", "ombud.notify.alert_channels")

# Actions about no event (a person's own channels, an organisation, an account).
UNSCOPED = ("channel.", "organisation.", "recovery_key.", "account.", "token.", "key.", "keys.")


class AuditDown(Exception):
    """The audit log cannot be written (a full disk, a lost connection)."""


def _refuse(entry, *args, **kwargs):
    raise AuditDown


def _database() -> dict:
    """Every row of every table, to compare before and after."""
    rows = {}
    for model in apps.get_models():
        rows[model._meta.label] = [
            tuple(bytes(value) if isinstance(value, memoryview) else value for value in row)
            for row in model._base_manager.order_by("pk").values_list()
        ]
    return rows


def _written(since: int, by) -> Counter:
    written = Counter()
    for entry in Entry.objects.filter(seq__gt=since).order_by("seq"):
        assert entry.event_id is not None or entry.action.startswith(UNSCOPED), entry.action
        if entry.actor_kind == ActorKind.USER:
            assert by is not None, f"{entry.action} by a person, none acts here"
            assert entry.actor_id == str(by.pk), f"{entry.action} by someone else"
            written[entry.action] += 1
        else:
            written[f"{entry.action}@{entry.actor_kind}"] += 1
    return written


def _each_service() -> list:
    return [
        pytest.param(
            service,
            id=service.id,
            marks=[pytest.mark.xfail(reason=fault, raises=AssertionError, strict=True)]
            if (fault := service.known_fault)
            else [],
        )
        for service in SERVICES
    ]


@pytest.mark.parametrize("service", _each_service())
def test_a_service_writes_its_audit_entries_in_the_transaction_of_its_change(
    cast, service, monkeypatch
):
    call = service.prepare(cast)
    before = _database()
    with monkeypatch.context() as failing:
        failing.setattr(audit_services, "_append", _refuse)
        with pytest.raises(AuditDown):
            call.run()
    after = _database()
    kept = [table for table, rows in before.items() if after[table] != rows]
    assert kept == [], "a change was kept although its audit entry failed"

    cache.clear()
    roster._cache.clear()
    since = Entry.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    # The test runs inside transactions of its own: an entry must be written inside
    # one the service opened, or outside a test it would have none.
    depth, append = len(connection.atomic_blocks), audit_services._append

    def inside_the_services_transaction(entry, *args, **kwargs):
        assert len(connection.atomic_blocks) > depth, f"{entry.action} outside a transaction"
        return append(entry, *args, **kwargs)

    monkeypatch.setattr(audit_services, "_append", inside_the_services_transaction)
    call.run()
    assert _written(since, call.by) == Counter(service.expected)


def test_every_registered_action_is_written_by_a_service_in_the_catalogue():
    written = set().union(*(service.actions for service in SERVICES))
    assert set(WRITTEN_ELSEWHERE) <= set(ACTIONS)
    assert not written & set(WRITTEN_ELSEWHERE), "in the catalogue now: take it off the list"
    assert set(ACTIONS) - written - set(WRITTEN_ELSEWHERE) == set()
    assert written <= set(ACTIONS)


def _action_codes_in_source() -> dict[str, str]:
    """Every literal action passed to ``record(who, action, ...)`` (or to ``prepare``,
    which ``record`` is made of) in the source."""
    found = {}
    for path in Path(ombud.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            who, action = node.args[:2]
            # Whoever acts is never a literal (rows' Insert.prepare takes only names).
            if (
                name in {"record", "prepare"}
                and isinstance(action, ast.Constant)
                and not isinstance(who, ast.Constant)
            ):
                found[action.value] = f"{path.name}:{node.lineno}"
    return found


def test_every_action_the_source_writes_is_registered():
    found = _action_codes_in_source()
    assert "report.created" in found  # the scan sees the calls
    assert {code: where for code, where in found.items() if code not in ACTIONS} == {}


def _opens_its_own_transaction(function) -> bool:
    """Decorated with ``transaction.atomic``."""
    for cell in getattr(function, "__closure__", None) or ():
        try:
            if isinstance(cell.cell_contents, transaction.Atomic):
                return True
        except ValueError:  # an empty cell
            continue
    return False


def _service_functions() -> dict[str, object]:
    names = [
        module.name
        for module in pkgutil.walk_packages(ombud.__path__, "ombud.")
        if ".services" in module.name or module.name in SERVICE_MODULES
    ]
    functions = {}
    for name in names:
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if (
                callable(value)
                and not attribute.startswith("_")
                and getattr(value, "__module__", "") == name
                and _opens_its_own_transaction(value)
            ):
                functions[f"{name}.{attribute}"] = value
    return functions


def test_every_service_that_opens_a_transaction_is_in_the_catalogue():
    functions = _service_functions()
    assert "ombud.staff.services.add_member" in functions  # the scan sees them
    catalogued = {service.function for service in SERVICES}
    missing = {
        name
        for name, function in functions.items()
        if function not in catalogued and name not in NOT_AUDITED
    }
    assert missing == set()
    assert set(NOT_AUDITED) <= set(functions)
