"""The reporter's part, through their receipt: the proposed outcome (when the team
chose to show it), their comments on it, and the final outcome."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ombud.audit import services as audit
from ombud.audit.services import Actor
from ombud.cases.models import Report
from ombud.cases.services.reporter import UnknownReceipt
from ombud.decisions.models import Appeal, Decision, ReporterComment
from ombud.decisions.services.decide import TEXT_LIMIT
from ombud.vault import receipts
from ombud.vault import services as vault


class NothingToComment(Exception):
    """No proposed outcome is shown to this reporter just now."""


@dataclass(frozen=True)
class Outcome:
    final: bool
    text: str  # what the team wrote for the reporter
    comments: list  # (at, text) of this reporter's comments on it
    overturned: bool = False


def _find(receipt_text: str) -> tuple[Report, str]:
    receipt = receipts.normalise(receipt_text)
    if receipt is None:
        raise UnknownReceipt
    report = (
        Report.objects.select_related("case", "event")
        .filter(receipt_digest=receipts.digest(receipt))
        .first()
    )
    if report is None or not receipts.matches(report.receipt_digest, receipt):
        raise UnknownReceipt
    return report, receipt


def _key(report, receipt):
    return vault.open_keyring(report.case_id, vault.ReceiptRecipient(receipt, report.pk))


def _shown(case):
    """The decision the reporter sees: the final one, else a proposal shown to them."""
    final = case.decisions.filter(state=Decision.State.FINAL).first()
    if final is not None:
        return final
    return case.decisions.filter(state=Decision.State.PROPOSED, shown_to_reporter=True).first()


def outcome_for(receipt_text: str) -> Outcome | None:
    report, receipt = _find(receipt_text)
    decision = _shown(report.case)
    if decision is None:
        return None
    key = _key(report, receipt)
    content = key.open("decision", decision.pk, decision.sealed)
    comments = [
        (c.at, key.open("decision-comment", c.pk, c.sealed)["text"])
        for c in decision.comments.filter(report=report)
    ]
    overturned = Appeal.objects.filter(
        decision=decision, outcome=Appeal.Outcome.OVERTURNED
    ).exists()
    return Outcome(
        final=decision.state == Decision.State.FINAL,
        text=content.get("to_reporter", ""),
        comments=comments,
        overturned=overturned,
    )


def comment(receipt_text: str, text: str) -> ReporterComment:
    """The reporter comments on a proposed outcome shown to them, before it is final."""
    text = (text or "").strip()
    if not text or len(text) > TEXT_LIMIT:
        raise ValueError("empty or oversized comment")
    report, receipt = _find(receipt_text)
    key = _key(report, receipt)
    with transaction.atomic():
        decision = (
            report.case.decisions.select_for_update()
            .filter(state=Decision.State.PROPOSED, shown_to_reporter=True)
            .first()
        )
        if decision is None:
            raise NothingToComment
        remark = ReporterComment(decision=decision, report=report, at=timezone.now())
        remark.sealed = key.seal("decision-comment", remark.pk, {"text": text})
        remark.save(force_insert=True)
        audit.record(
            Actor.reporter(), "decision.reporter_commented", remark, event_id=report.event_id
        )
    return remark
