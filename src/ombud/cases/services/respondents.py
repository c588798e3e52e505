"""Who was reported, and whether the organisation has heard of them before.

The identity is sealed under the case key; only keyed hashes of the normalised
name, badge number and e-mail are in the clear, so repeat reports are found
without decrypting any other case. A lead sees the earlier cases they may open,
and of the others only how many there are.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ombud.audit import services as audit
from ombud.cases import rules
from ombud.cases.models import Case, Respondent, RespondentTag, TimelineEntry
from ombud.cases.queries import cases_visible_to
from ombud.cases.services import timeline
from ombud.cases.services.access import case_key
from ombud.cases.services.recusal import tag_for
from ombud.cases.services.work import CaseActionError, refuse
from ombud.vault import identity

PURPOSE = "repeat respondents"
LIMIT = 200


@dataclass(frozen=True)
class History:
    visible: list  # earlier cases the viewer may open
    hidden: int  # how many more there are


def record(case: Case, *, by, name="", badge="", email="", description="") -> Respondent:
    refuse(rules.why_not_work_on(by, case))
    fields = {
        "name": name.strip()[:LIMIT],
        "badge": badge.strip()[:LIMIT],
        "email": email.strip()[:LIMIT],
        "description": description.strip()[:2000],
    }
    if not any(fields.values()):
        raise CaseActionError(_("Give a name, a badge number, an e-mail or a description."))
    respondent = Respondent(case=case, recorded_by=by, recorded_at=timezone.now())
    respondent.sealed = case_key(case, by).seal("respondent", respondent.pk, fields)
    found = identity.tags(
        PURPOSE,
        case.event.organisation_id,
        name=fields["name"],
        badge=fields["badge"],
        email=fields["email"],
    )
    with transaction.atomic():
        respondent.save(force_insert=True)
        RespondentTag.objects.bulk_create(
            RespondentTag(
                respondent=respondent,
                organisation_id=case.event.organisation_id,
                kind=kind,
                tag=tag,
            )
            for kind, tag in found
        )
        timeline.add(case, TimelineEntry.Kind.RESPONDENT, actor=by)
        audit.record(by, "respondent.recorded", respondent, event_id=case.event_id)
    return respondent


def opened(case: Case, key) -> list[tuple]:
    return [(r, key.open("respondent", r.pk, r.sealed)) for r in case.respondents.all()]


def history(case: Case, viewer) -> History:
    """Other cases of the organisation about the same person (any identifier in common):
    those the viewer may see, and how many more there are that they are not kept from."""
    tags = RespondentTag.objects.filter(respondent__case=case).values("tag")
    others = (
        Case.objects.filter(
            event__organisation_id=case.event.organisation_id,
            respondents__tags__tag__in=tags,
            respondents__tags__organisation_id=case.event.organisation_id,
        )
        .exclude(pk=case.pk)
        # A case someone is recused from is not even counted for them: a count says
        # "this person was reported again", which is the case's content.
        .exclude(recusals__user_tag=tag_for(viewer.pk))
        .distinct()
    )
    visible = list(
        others.filter(pk__in=cases_visible_to(viewer).values("pk"))
        .select_related("event")
        .order_by("-created_at")
    )
    return History(visible, others.count() - len(visible))
