"""The catalogue of audited services that tests/audit/test_coverage.py runs.

Each entry names a service function, the audit entries one call writes, and how
to build the world for that call (from tests/factories.py's personas). The
call is built to run twice - once with the audit log failing, once for real - so
it fetches whatever the service changes afresh each time.
"""

from collections.abc import Callable
from dataclasses import dataclass

from tests import factories


@dataclass(frozen=True)
class Call:
    run: Callable[[], object]
    # The person acting; None when only the reporter or Ombud itself acts.
    by: object = None


@dataclass(frozen=True)
class Service:
    function: Callable
    # What one call writes: "action" by the person acting, "action@system" by Ombud
    # itself, "action@reporter" by the reporter holding a receipt (a multiset).
    expected: tuple[str, ...]
    prepare: Callable[[object], Call]
    case: str = ""
    # A known fault, outside this work's reach: the test is expected to fail until it
    # is fixed (strictly: then it fails until this is cleared).
    known_fault: str = ""

    @property
    def id(self) -> str:
        name = f"{self.function.__module__.removeprefix('ombud.')}.{self.function.__name__}"
        return f"{name}[{self.case}]" if self.case else name

    @property
    def actions(self) -> set[str]:
        return {expected.split("@")[0] for expected in self.expected}


SERVICES: list[Service] = []


def audited(function, *expected: str, case: str = "", known_fault: str = ""):
    """Register the decorated world-builder as the way to call ``function``."""

    def register(prepare):
        SERVICES.append(Service(function, expected, prepare, case, known_fault))
        return prepare

    return register


def fresh(instance):
    """The row as the database has it now: a failed first run may have changed the
    object in memory, never (the test checks) the row."""
    return type(instance).objects.get(pk=instance.pk)


def filed(cast, **fields):
    """A case of the personas' event, sealed to its team's keys, named by nobody."""
    fields.setdefault("what_happened", "AUDITCANARY said something at the party.")
    return factories.file_report(cast.event, **fields).report.case


def keyed(person):
    return factories.holding_key(person)
