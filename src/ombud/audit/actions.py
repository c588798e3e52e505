"""Every action Ombud writes to the audit log, with what it means in words.

``audit.services.record`` refuses a code that is not listed here, so a typo
fails the first test that reaches it instead of writing an entry nobody can
find. A description reads after the actor's name ("Lena Lead opened the case"),
and says who did what to which object - never what the object says.
"""

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    # Reports and receipts (intake, the reporter's follow-up)
    "report.created": _("report filed"),
    "report.read": _("read a report"),
    "report.read_by_reporter": _("read by the reporter with the receipt"),
    "receipt.reissued": _("issued the reporter a new receipt"),
    "receipt.replaced": _("replaced the reporter's receipt"),
    "receipt.sent": _("sent the reporter their receipt by e-mail or text message"),
    "report.confirmed_by_reporter": _("confirmed the account a staff member wrote down"),
    "report.corrected_by_reporter": _("corrected the account a staff member wrote down"),
    "report.replies_chosen": _("asked for the team's replies in full by e-mail or text"),
    "report.replies_stopped": _("asked for the team's replies behind the receipt only"),
    "report.withdrawn": _("withdrew the report: its content was destroyed"),
    # Working a case
    "case.read": _("opened the case"),
    "attachment.read": _("downloaded an attachment"),
    "note.created": _("added a note"),
    "message.created": _("wrote to the reporter"),
    "case.status_changed": _("changed the status"),
    "case.categories_set": _("set the case's categories"),
    "case.exported": _("exported the case summary"),
    "case.linked": _("linked the case to another"),
    "account.created": _("recorded an account"),
    "respondent.recorded": _("recorded who was reported"),
    "alert.retried": _("retried an alert"),
    "case.call_logged": _("logged a hotline call"),
    # A flood of reports and its triage
    "flood.started": _("saw reports flooding in and began grouping alerts"),
    "flood.ended": _("saw the flood of reports end"),
    "case.marked_junk": _("marked the case as junk"),
    "case.not_junk": _("put the case back in the queue: not junk"),
    # Keeping and expunging cases: the retention policy, previews and purges
    "case.retention_extended": _("kept the case longer than the retention policy says"),
    "case.expunged": _("expunged the case: its content was destroyed"),
    "organisation.retention_changed": _("changed the retention policy"),
    "organisation.purge_previewed": _("listed the cases due to be expunged"),
    "organisation.purge_run": _("expunged the cases that were due"),
    # The team around a case
    "case.declared_no_conflict": _("declared no conflict of interest"),
    "case.recused_self": _("recused themselves"),
    "case.owner_assigned": _("assigned the owner"),
    "case.helper_added": _("added a helper"),
    "case.safety_step": _("recorded a safety step"),
    "case.interim_action": _("recorded an interim action"),
    "case.interim_reviewed": _("reviewed an interim action"),
    # Who can open a case: recusal and key wraps
    "case.scanned": _("checked the case for recusals"),
    "recusal.created": _("recused someone"),
    "case.granted": _("opened the case for someone"),
    "case.access_revoked": _("took someone's access to the case away"),
    "case.recovered": _("opened the case with the recovery key"),
    "case.escrow_released": _("sealed the case to the team's keys"),
    # Decisions, appeals and the ban list
    "decision.proposed": _("proposed a decision"),
    "decision.approved": _("approved a decision"),
    "decision.made_final": _("made a decision final"),
    "decision.withdrawn": _("withdrew a proposed decision"),
    "decision.reporter_commented": _("commented on the proposed outcome"),
    "appeal.recorded": _("recorded an appeal"),
    "appeal.reviewed": _("reviewed an appeal"),
    "decision_rules.changed": _("changed how many approvals each decision needs"),
    "banlist.checked": _("checked someone against the ban list"),
    # Attendee and speaker lists (attendees)
    "attendees.imported": _("imported the event's attendee or speaker list"),
    "attendees.import_failed": _("tried to import the event's attendee or speaker list"),
    "attendees.ban_matches_viewed": _("looked at which attendees or speakers match the ban list"),
    "attendees.purged": _("deleted an attendee or speaker list after the event"),
    # Organisations and events
    "organisation.settings_changed": _("changed the organisation's settings"),
    "event.created": _("created the event"),
    "event.settings_changed": _("changed the event's settings"),
    "event.texts_changed": _("changed the event's texts in another language"),
    "event.vault_mode_changed": _("changed how the event's reports are encrypted"),
    "event.categories_changed": _("changed the event's categories"),
    "event.channel_changed": _("added or changed one of the event's reporting channels"),
    "recovery_key.created": _("made the organisation's recovery key"),
    "recovery_key.used": _("used the organisation's recovery key"),
    "recovery_key.confirmed": _("confirmed the recovery key with its printed copy"),
    # Transparency reports (numbers only)
    "transparency.drafted": _("computed the numbers of a transparency report"),
    "transparency.text_changed": _("changed the text of a transparency report"),
    "transparency.published": _("published a transparency report"),
    "transparency.unpublished": _("took a transparency report off its public page"),
    "organisation.transparency_drafted": _(
        "computed the numbers of the year's transparency report"
    ),
    "organisation.transparency_text_changed": _(
        "changed the text of the year's transparency report"
    ),
    "organisation.transparency_published": _("published the year's transparency report"),
    "organisation.transparency_unpublished": _(
        "took the year's transparency report off its public page"
    ),
    # Keys sealed to (vault.trust)
    "key.endorsed": _("vouched for someone's key"),
    "key.rejected": _("found a key that failed its check; it was not used"),
    "keys.recertified": _("re-certified every key and team membership under a new key file"),
    # The staff roster
    "staff.account_created": _("created an account for a new staff member"),
    "staff.invitation_sent": _("sent an invitation to choose a password"),
    "staff.member_added": _("added someone to the staff"),
    "staff.member_changed": _("changed a staff member's phone, badge or listing"),
    "staff.role_changed": _("changed a staff member's role"),
    "staff.member_deactivated": _("took a staff member off the roster"),
    "staff.member_reactivated": _("put a staff member back on the roster"),
    "staff.member_removed": _("removed someone from the staff"),
    "staff.person_changed": _("changed a staff member's name or e-mail"),
    "staff.acknowledged": _("acknowledged the code of conduct and handling guide"),
    "staff.shift_added": _("added a duty shift"),
    "staff.shift_removed": _("removed a duty shift"),
    "staff.briefing_added": _("added a staff briefing"),
    "staff.attendance_recorded": _("recorded attendance at a briefing"),
    "staff.attendance_removed": _("struck someone from a briefing's attendance"),
    # A staff member's own alert channels
    "channel.added": _("added an alert channel"),
    "channel.made_primary": _("made an alert channel their primary one"),
    "channel.enabled": _("turned an alert channel on"),
    "channel.disabled": _("paused an alert channel"),
    "channel.removed": _("removed an alert channel"),
    "channel.test_sent": _("sent a test alert"),
    # Signing in and the account's own security
    "token.issued": _("was issued an API token"),
    "token.revoked": _("revoked an API token"),
    "account.signed_out_everywhere": _("signed out everywhere"),
    "account.language_changed": _("chose the language of their pages and alerts"),
    "account.second_factor_enrolled": _("set up a second factor"),
    "account.recovery_codes_renewed": _("made new recovery codes"),
    "account.password_changed": _("changed their password"),
    "account.password_reset": _("reset their password with an e-mailed link"),
}


class UnknownAction(ValueError):
    """An audit action code that is not in ``ACTIONS``: a typo, or a new action
    someone forgot to register (and describe)."""


def check(action: str) -> str:
    if action not in ACTIONS:
        raise UnknownAction(f"{action!r} is not a registered audit action (audit/actions.py)")
    return action


def describe(action: str) -> str:
    """What an entry's action means, for people reading the log."""
    return str(ACTIONS.get(action, action))
