"""The hotline: a call rings the responders on duty, or the incident leads when the
caller says the report is about a member of staff; whoever answers takes the call
or hands it on; if nobody takes it, the caller leaves a voicemail
(``intake.channels.voicemail`` seals it into a case).

Each step is a TwiML document Twilio asks for (``/hooks/twilio/<event>/voice`` and
``/voice/<step>``). What a call needs between steps - the caller's case, who handed
it on, who took it - is kept for the call's life under a keyed hash of its CallSid
(never the caller's number) in ``web.shared``: the database on PostgreSQL, since a
step may reach another web node than the one before. Responders see the hotline's number, never
the caller's (``callerId``), and nobody recused from the caller's case is rung.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ombud.audit import services as audit
from ombud.audit.services import Actor
from ombud.cases.models import Case, Recusal, Report, TimelineEntry
from ombud.cases.services import recusal, timeline
from ombud.intake.channels import inbound, voicemail
from ombud.intake.channels.twilio import SID, count, hook_url, say, tag, text, twiml
from ombud.intake.models import InboundMessage, IntakeChannel
from ombud.staff import roster
from ombud.staff.models import Membership, Role
from ombud.vault import receipts
from ombud.web import shared

# <Dial> rings at most ten numbers at once; a rota goes through at most this many.
MAX_AT_ONCE = 10
MAX_ROTA = 8
STATE_SECONDS = 4 * 3600
MENU_SECONDS = 6
WHISPER_SECONDS = 8
VOICEMAIL_SECONDS = 300
# A call's own status once it is over.
ENDED = ("completed", "canceled", "failed", "busy", "no-answer")


class Malformed(ValueError):
    """A request without what Twilio always sends."""


class Unknown(LookupError):
    """Not this channel's number, call or team member."""


@dataclass(frozen=True)
class Callee:
    membership_id: int
    user_id: int
    name: str
    phone: str
    role: str
    on_duty: bool
    since: object  # when their current shift began (rota order)


# --- What a call remembers ---------------------------------------------------------------


def _key(call_sid: str) -> str:
    return "twilio-call:" + receipts.keyed_digest("call", call_sid)


def state(call_sid: str) -> dict:
    return shared.get(_key(call_sid)) or {}


def remember(call_sid: str, **changes) -> dict:
    current = {"case": None, "staff": False, "skipped": [], "answered": None, **state(call_sid)}
    current.update(changes)
    shared.put(_key(call_sid), current, STATE_SECONDS)
    return current


def required(params, name: str, pattern=None) -> str:
    value = params.get(name, "")
    if not value or len(value) > 64 or (pattern is not None and not pattern.match(value)):
        raise Malformed(name)
    return value


# --- Who is rung ----------------------------------------------------------------------


def reachable(event, at) -> list[Callee]:
    """Case workers of the event who gave a phone number and acknowledged the code."""
    members = {m.membership_id: m for m in roster.load(event).members}
    phones = Membership.objects.filter(event=event).exclude(phone="").values_list("pk", "phone")
    found = []
    for membership_id, phone in phones:
        member = members.get(membership_id)
        number = inbound.normalise_number(phone)
        if member is None or member.role not in (Role.RESPONDER, Role.LEAD) or not number:
            continue
        if not member.acknowledged(event):
            continue
        shifts = [start for start, end in member.shifts if start <= at < end]
        name = f"{member.first_name} {member.last_name}".strip() or member.username
        found.append(
            Callee(
                membership_id,
                member.user_id,
                name,
                number,
                member.role,
                bool(shifts),
                min(shifts) if shifts else None,
            )
        )
    return found


def stages(channel: IntakeChannel, *, staff_only: bool, at=None) -> list[list[Callee]]:
    """Who is rung, in turn: everyone on duty at once, then the leads off duty at once
    (the escalation); or one after another in rota order, the leads off duty last;
    for a report about a member of staff, the incident leads only."""
    people = reachable(channel.event, at or timezone.now())
    leads = sorted((p for p in people if p.role == Role.LEAD), key=lambda p: p.name)
    if staff_only:
        first, escalation = [], leads
    else:
        first = sorted((p for p in people if p.on_duty), key=lambda p: (p.since, p.name))
        escalation = [p for p in leads if not p.on_duty]
    if channel.ringing == IntakeChannel.Ringing.ALL:
        groups = [first[:MAX_AT_ONCE], escalation[:MAX_AT_ONCE]]
    else:
        groups = [[p] for p in (first + escalation)[:MAX_ROTA]]
    return [g for g in groups if g]


def _case(case_id) -> Case | None:
    return Case.objects.select_related("event").filter(pk=case_id).first() if case_id else None


def kept_away(call: dict, people) -> set[int]:
    """Membership ids not to ring: recused from the caller's case, or who handed on."""
    skipped = set(call.get("skipped") or ())
    case = _case(call.get("case"))
    if case is None:
        return skipped
    recused = recusal.recused_among(case, people)
    return skipped | {p.membership_id for p in people if p.user_id in recused}


# --- The steps ------------------------------------------------------------------------


def _step(channel, step: str, **query) -> str:
    return hook_url(reverse("hooks:twilio_voice_step", args=[channel.event.slug, step]), **query)


def _lang(channel) -> str:
    return channel.event.default_language


def incoming(channel: IntakeChannel, params) -> str:
    """A call to the hotline: the voice menu."""
    call_sid = required(params, "CallSid", SID)
    caller = required(params, "From")
    if inbound.normalise_number(params.get("To", "")) != inbound.normalise_number(channel.address):
        raise Unknown("number")
    remember(call_sid, case=_caller_case(channel, call_sid, caller))
    with translation.override(_lang(channel)):
        menu = _(
            "You have reached the code of conduct team of %(event)s. If what you want "
            "to report is about a member of staff, press 1 now. Otherwise, please stay "
            "on the line."
        ) % {"event": channel.event.name}
    return twiml(
        tag(
            "Gather",
            say(menu, _lang(channel)),
            numDigits="1",
            timeout=str(MENU_SECONDS),
            action=_step(channel, "menu"),
            method="POST",
        ),
        tag("Redirect", text(_step(channel, "menu")), method="POST"),
    )


def _caller_case(channel, call_sid: str, caller: str):
    report = inbound.thread_of(inbound.Arrival(channel, call_sid, caller, ""))
    return report.case_id if report else None


def _call(channel, call_sid: str, params) -> dict:
    """The call's state; if the store lost it, the caller's case is found again from
    the number, so nobody recused from it is rung."""
    call = state(call_sid)
    if "case" not in call:
        caller = required(params, "From")
        call = remember(call_sid, case=_caller_case(channel, call_sid, caller))
    return call


def menu(channel: IntakeChannel, params) -> str:
    call_sid = required(params, "CallSid", SID)
    _call(channel, call_sid, params)
    call = remember(call_sid, staff=params.get("Digits", "") == "1")
    return ring(channel, call_sid, call, 0)


def ring(channel: IntakeChannel, call_sid: str, call: dict, stage: int) -> str:
    groups = stages(channel, staff_only=call.get("staff", False))
    for index in range(stage, len(groups)):
        away = kept_away(call, groups[index])
        group = [p for p in groups[index] if p.membership_id not in away]
        if group:
            return _dial(channel, call_sid, call, index, group)
    return leave_voicemail(channel)


def _dial(channel, call_sid: str, call: dict, stage: int, group: list[Callee]) -> str:
    numbers = [
        tag(
            "Number",
            text(p.phone),
            url=_step(channel, "whisper", call=call_sid, m=p.membership_id),
            method="POST",
        )
        for p in group
    ]
    return twiml(
        tag(
            "Dial",
            *numbers,
            # The hotline's own number: a responder never learns the caller's.
            callerId=channel.address,
            timeout=str(channel.ring_seconds),
            action=_step(channel, "dialled", stage=stage, skipped=len(call.get("skipped") or ())),
            method="POST",
        )
    )


def _callee(channel, params) -> tuple[str, Membership]:
    call_sid = params.get("call", "")
    member_id = count(params.get("m", ""), digits=12)
    if not SID.match(call_sid) or member_id is None:
        raise Malformed("call")
    member = Membership.objects.filter(event=channel.event, pk=member_id).first()
    if member is None:
        raise Unknown("member")
    return call_sid, member


def whisper(channel: IntakeChannel, params, query) -> str:
    """What the responder who picked up hears, before the caller is put through."""
    call_sid, member = _callee(channel, query)
    with translation.override(_lang(channel)):
        words = _(
            "A call to the %(event)s code of conduct hotline. Press 1 to take it. "
            "Press 2 to hand it on, for example if you might be involved in what is reported."
        ) % {"event": channel.event.name}
    answer = _step(channel, "answer", call=call_sid, m=member.pk)
    return twiml(
        tag(
            "Gather",
            say(words, _lang(channel)),
            numDigits="1",
            timeout=str(WHISPER_SECONDS),
            action=answer,
            method="POST",
        ),
        # No key (a phone's own voicemail picked up): not taken, on to the others.
        tag("Redirect", text(answer), method="POST"),
    )


def answer(channel: IntakeChannel, params, query) -> str:
    call_sid, member = _callee(channel, query)
    call = state(call_sid)
    digits = params.get("Digits", "")
    if digits == "1":
        remember(call_sid, answered=member.pk)
        return twiml()  # the end of the whisper puts the caller through
    remember(call_sid, skipped=sorted({*(call.get("skipped") or ()), member.pk}))
    if digits == "2":
        # Kept for a voicemail this call may end in: it must not reach them either.
        remember(call_sid, handed_on=sorted({*(call.get("handed_on") or ()), member.pk}))
        hand_on(_case(call.get("case")), member)
        with translation.override(_lang(channel)):
            words = _("Handed on. Thank you.")
        return twiml(say(words, _lang(channel)), tag("Hangup"))
    return twiml(tag("Hangup"))


def hand_on(case: Case | None, member: Membership) -> None:
    """Whoever hands a call on is kept away from the caller's case, if there is one."""
    if case is None:
        return
    with transaction.atomic():
        recusal.recuse(case, None, {member.user_id: Recusal.Reason.SELF})


def dialled(channel: IntakeChannel, params, query) -> str:
    """The <Dial> ended: taken, handed on (ring the rest), or nobody answered (next)."""
    call_sid = required(params, "CallSid", SID)
    stage, skipped = (count(query.get(name), digits=3) for name in ("stage", "skipped"))
    if stage is None or skipped is None:
        raise Malformed("stage")
    call = _call(channel, call_sid, params)
    status = params.get("DialCallStatus", "")
    if call.get("answered") and status in ("completed", "answered"):
        log_call(
            channel,
            call_sid,
            params.get("From", ""),
            seconds=_int(params.get("DialCallDuration")),
        )
        return twiml(tag("Hangup"))
    if params.get("CallStatus", "") in ENDED:
        # The caller hung up while it rang.
        _log_ended(channel, call_sid, params)
        return twiml(tag("Hangup"))
    handed_on = len(call.get("skipped") or ()) > skipped
    return ring(channel, call_sid, call, stage if handed_on else stage + 1)


def leave_voicemail(channel: IntakeChannel) -> str:
    with translation.override(_lang(channel)):
        ask = _(
            "Nobody from the team can answer right now. Please leave a message after "
            "the tone and press the hash key when you are done: it reaches the team at "
            "once as an urgent report."
        )
        none = _("We did not receive a message. Goodbye.")
    return twiml(
        say(ask, _lang(channel)),
        tag(
            "Record",
            action=_step(channel, "recorded"),
            method="POST",
            maxLength=str(VOICEMAIL_SECONDS),
            finishOnKey="#",
            playBeep="true",
            recordingStatusCallback=_step(channel, "recording"),
            recordingStatusCallbackMethod="POST",
        ),
        say(none, _lang(channel)),
        tag("Hangup"),
    )


def recorded(channel: IntakeChannel, params) -> str:
    """The caller left a voicemail: kept until sealed into their case (or a new one)."""
    call_sid = required(params, "CallSid", SID)
    recording_sid = required(params, "RecordingSid", SID)
    caller = required(params, "From")
    seconds = _int(params.get("RecordingDuration"))
    call = remember(call_sid, voicemail=True)
    # Fetched when Twilio says the recording is ready (``recording``), or by the
    # worker's retries: not here, where the caller waits for the goodbye.
    voicemail.hold(
        channel,
        recording_sid=recording_sid,
        call_sid=call_sid,
        caller=caller,
        seconds=seconds,
        staff_only=bool(call.get("staff")),
        handed_on=list(call.get("handed_on") or ()),
    )
    log_call(channel, call_sid, caller, seconds=seconds, voicemail=True)
    with translation.override(_lang(channel)):
        words = _("Thank you. Your message has reached the team. Goodbye.")
    return twiml(say(words, _lang(channel)), tag("Hangup"))


def recording(channel: IntakeChannel, params) -> str:
    """Twilio says a recording is ready (or failed): seal it now if it is waiting."""
    recording_sid = required(params, "RecordingSid", SID)
    if params.get("RecordingStatus", "completed") == "completed":
        voicemail.settle_sid(channel, recording_sid)
    return twiml()


def status(channel: IntakeChannel, params) -> str:
    """The call ended (the number's "call status changes" callback)."""
    call_sid = required(params, "CallSid", SID)
    if params.get("CallStatus", "") in ENDED:
        _log_ended(channel, call_sid, params)
    return twiml()


def _log_ended(channel, call_sid: str, params) -> None:
    log_call(channel, call_sid, params.get("From", ""), seconds=_int(params.get("CallDuration")))


def _int(value) -> int:
    # Seconds, as Twilio counts them; anything else (or absurdly long) counts as none.
    return count(value) or 0


def log_call(channel, call_sid: str, caller: str, *, seconds: int, voicemail=False) -> None:
    """Once per call, whichever callback comes first: counted, and on the caller's case
    timeline (how long, who answered - a name, never a number)."""
    call = state(call_sid)
    if "case" not in call and caller:
        call["case"] = _caller_case(channel, call_sid, caller)  # the store lost the call
    case = _case(call.get("case"))
    report = Report.objects.filter(case=case).order_by("-received_at").first() if case else None
    answered_by = ""
    if call.get("answered"):
        taker = Membership.objects.select_related("user").filter(pk=call["answered"]).first()
        if taker is not None:
            answered_by = taker.user.get_full_name() or taker.user.username
    with transaction.atomic():
        try:
            with transaction.atomic():
                InboundMessage(
                    source_digest=inbound.source_digest(channel.kind, call_sid),
                    channel=channel,
                    event_id=channel.event_id,
                    received_at=timezone.now(),
                    outcome=InboundMessage.Outcome.CALL,
                    report=report,
                    sender_digest=inbound.contact_digest(channel.kind, caller) if caller else "",
                ).save(force_insert=True)
        except IntegrityError:
            return  # logged already
        if case is not None:
            entry_for_call(
                case,
                seconds=seconds,
                answered_by=answered_by,
                voicemail=voicemail or bool(call.get("voicemail")),
            )


def entry_for_call(case, *, seconds: int, answered_by: str = "", voicemail: bool = False):
    entry = timeline.add(
        case,
        TimelineEntry.Kind.CALL,
        seconds=seconds,
        answered_by=answered_by,
        voicemail=voicemail,
    )
    audit.record(Actor.system(), "case.call_logged", entry, event_id=case.event_id)
    return entry


STEPS = {
    "menu": menu,
    "recorded": recorded,
    "recording": recording,
    "status": status,
}
# Steps whose URL carries what Ombud put there (the call and the team member, the stage).
STEPS_WITH_QUERY = {"whisper": whisper, "answer": answer, "dialled": dialled}
