"""Named permission predicates for case work, each defined once.

Reaching a case at all is decided by ``queries.cases_visible_to``; these
decide what someone who can see it may do.
"""

from ombud.cases.models import Status
from ombud.staff.models import Membership, Role


def role_in(user, event) -> str | None:
    membership = (
        Membership.objects.acknowledged().filter(user=user, event=event).only("role").first()
    )
    return membership.role if membership else None


def is_lead(user, event) -> bool:
    return role_in(user, event) == Role.LEAD


# Which role may move a case into each status. Leads close, decide and reopen.
STATUS_CHANGERS = {
    Status.ACKNOWLEDGED: {Role.RESPONDER, Role.LEAD},
    Status.INVESTIGATING: {Role.RESPONDER, Role.LEAD},
    Status.DECIDED: {Role.LEAD},
    Status.CLOSED: {Role.LEAD},
}
REOPEN_ROLES = {Role.LEAD}


def may_set_status(role: str | None, current: str, target: str) -> bool:
    if current == Status.CLOSED:
        return role in REOPEN_ROLES
    return role in STATUS_CHANGERS.get(target, set())
