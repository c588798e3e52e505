"""Who may see which case: defined once, used by every list, page, count and API call."""

from django.db.models import Case as Ranking
from django.db.models import Exists, IntegerField, OuterRef, Q, Value, When

from ombud.cases.models import Case, Recusal, Report, Status
from ombud.cases.services.recusal import tag_for
from ombud.events.models import VaultMode
from ombud.staff.models import Membership
from ombud.vault.models import KeyWrap, RecipientKind

_WORKING = (Status.ACKNOWLEDGED, Status.INVESTIGATING)


def cases_visible_to(user):
    """Cases of events where the user works cases, minus those they are recused from."""
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    works_cases = (
        Membership.objects.acknowledged().case_workers().filter(user=user, event=OuterRef("event"))
    )
    recused = Recusal.objects.filter(case=OuterRef("pk"), user_tag=tag_for(user.pk))
    # In the per-person mode a case someone's key does not open is not theirs (yet):
    # access is granted by wrapping the case key for them (services.grants).
    sealed_to_them = KeyWrap.objects.filter(
        keyring=OuterRef("pk"), recipient_kind=RecipientKind.PERSON, recipient_ref=str(user.pk)
    )
    return Case.objects.filter(
        Exists(works_cases),
        ~Exists(recused),
        Q(event__vault_mode=VaultMode.SERVER) | Exists(sealed_to_them),
    )


def reports_visible_to(user):
    return Report.objects.filter(case__in=cases_visible_to(user))


def reports_taken_by(user):
    """Reports a staff member took for someone: they may follow the status, nothing more."""
    if not user.is_authenticated or not user.is_active:
        return Report.objects.none()
    return Report.objects.filter(taken_by=user)


def dashboard_order(cases):
    """Urgent first, then new, then the rest; newest first within each."""
    rank = Ranking(
        When(urgent=True, status=Status.NEW, then=Value(0)),
        When(status=Status.NEW, then=Value(1)),
        When(urgent=True, status__in=_WORKING, then=Value(2)),
        When(status__in=_WORKING, then=Value(3)),
        When(status=Status.DECIDED, then=Value(4)),
        default=Value(5),
        output_field=IntegerField(),
    )
    return cases.annotate(rank=rank).order_by("rank", "-created_at")
