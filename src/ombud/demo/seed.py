"""The demo organisation: an event running today, set up as a real one would be.

Everyone on the roster has acknowledged the code of conduct and handling
guide, attended the briefing and is on duty for the whole event, so the
whole procedure can be walked at once.
"""

import base64
import binascii
import os
import secrets
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from ombud.accounts.secondfactor import enrol_with_secret
from ombud.audit.services import Actor
from ombud.cases.services import keytrust
from ombud.events.models import Event, EventText, Organisation, OrganiserAdmin
from ombud.events.services import save_event, save_event_texts
from ombud.intake.channels import config as intake_config
from ombud.intake.models import IntakeChannel
from ombud.staff import services as staff
from ombud.staff.models import Briefing, Membership, Role
from ombud.vault import people

EVENT_SLUG = "pycon-demo"
TIME_ZONE = "America/New_York"

# username: (first name, last name, role, phone, badge)
PEOPLE = {
    "chair": ("Priya", "Raman", Role.LEAD, "+1 555 0101", "S-001"),
    "coordinator": ("Tomás", "Ortega", Role.LEAD, "+1 555 0102", "S-002"),
    "responder1": ("Amara", "Okafor", Role.RESPONDER, "+1 555 0103", "S-003"),
    "responder2": ("Lin", "Wei", Role.RESPONDER, "+1 555 0104", "S-004"),
    "staff1": ("Jonas", "Berg", Role.STAFF, "+1 555 0105", "S-005"),
    "desk": ("Fatima", "Haddad", Role.DESK, "+1 555 0106", "S-006"),
}
ADMIN = ("admin", "Olivia", "Grant")
# The audit log says the demo world was set up by Ombud itself, not by a person.
SEEDER = Actor.system()

CODE_OF_CONDUCT = """\
PyCon Demo is a community conference intended for networking and collaboration in the \
developer community. We value the participation of each member of the Python community and \
want all attendees to have an enjoyable and fulfilling experience. Accordingly, all attendees \
are expected to show respect and courtesy to other attendees throughout the conference and at \
all conference events.

Harassment includes offensive verbal comments related to gender, sexual orientation, \
disability, physical appearance, body size, race or religion; sexual images in public spaces; \
deliberate intimidation, stalking or following; harassing photography or recording; sustained \
disruption of talks or other events; inappropriate physical contact; and unwelcome sexual \
attention.

Participants asked to stop any harassing behaviour are expected to comply immediately. If a \
participant engages in harassing behaviour, the organisers may take any action they deem \
appropriate, including warning the offender or expulsion from the conference."""

HANDLING_GUIDE = """\
1. Be calm and kind. Thank the person for telling you. Ask: is anyone in danger right now? \
If so, call 911 first, or venue security.
2. Help them write the report (Ombud, "Take a report"), in their words. Do not interview \
other people, do not confront the person reported.
3. Involve law enforcement or security only if the person harmed asks, unless someone is in \
danger now.
4. Everything is confidential. Do not discuss it with anyone outside the response team, and \
never in public channels.
5. The event coordinator and the chair receive every report; if you are named in one, Ombud \
keeps it from you automatically."""


def demo_password(data_dir) -> tuple[str, bool]:
    """The demo users' password: from the environment, else generated once and kept."""
    given = os.environ.get("OMBUD_DEMO_PASSWORD", "").strip()
    if given:
        return given, False
    return _kept_secret(
        data_dir, "demo-password", lambda: "-".join(secrets.token_urlsafe(4) for _ in range(3))
    )


def _kept_secret(data_dir, name: str, make) -> tuple[str, bool]:
    path = data_dir / "keys" / name
    if path.exists():
        return path.read_text(encoding="utf-8").strip(), True
    secret = make()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret)
    return secret, True


def demo_twilio_token(data_dir) -> tuple[str, bool]:
    """The demo event's Twilio auth token, which signs its webhooks: from the
    environment, else generated once and kept (and printed at start)."""
    given = os.environ.get("OMBUD_DEMO_TWILIO_AUTH_TOKEN", "").strip()
    if given:
        return given, False
    return _kept_secret(data_dir, "demo-twilio-auth-token", lambda: secrets.token_hex(16))


def demo_totp_secret(data_dir) -> tuple[str, bool]:
    """The demo users' authenticator secret (base32): from the environment, else kept."""
    given = os.environ.get("OMBUD_DEMO_TOTP_SECRET", "").strip().replace(" ", "").upper()
    if given:
        try:
            base64.b32decode(given + "=" * (-len(given) % 8))
        except binascii.Error:
            raise ValueError("OMBUD_DEMO_TOTP_SECRET must be base32 (A-Z, 2-7).") from None
        return given, False
    return _kept_secret(
        data_dir, "demo-totp-secret", lambda: base64.b32encode(secrets.token_bytes(20)).decode()
    )


STAFF_RECOGNITION = {
    "de": "Das Team trägt leuchtend orangefarbene T-Shirts mit STAFF vorne und hinten und "
    "orangefarbene Schlüsselbänder.",
    "es": "El equipo lleva camisetas naranja brillante con STAFF delante y detrás, y "
    "cordones naranja.",
    "fr": "L'équipe porte des t-shirts orange vif marqués STAFF devant et derrière, et des "
    "cordons orange.",
    "pt-br": "A equipe usa camisetas laranja-vivo com STAFF na frente e nas costas, e "
    "cordões laranja.",
    "ja": "スタッフは前後に STAFF と書かれた明るいオレンジ色のTシャツと、オレンジ色の"
    "ネックストラップを身につけています。",
    "ar": "يرتدي الطاقم قمصانًا برتقالية زاهية مكتوبًا عليها STAFF من الأمام والخلف، "
    "وأشرطة عنق برتقالية.",
}


# The demo event's own reporting channels (docs/intake-channels.md). 555-01xx numbers
# are fictional; the webhooks are signed with the demo's Twilio auth token.
REPORTING_ADDRESS = "report@pycon-demo.example"
HOTLINE_NUMBER = "+12025550142"
TWILIO_ACCOUNT_SID = "AC" + "d3" * 16


def _reporting_channels(event, twilio_token: str) -> None:
    wanted = [
        (IntakeChannel.Kind.MAIL, IntakeChannel.Provider.LISTENER, REPORTING_ADDRESS, {}),
        *(
            (
                kind,
                IntakeChannel.Provider.TWILIO,
                HOTLINE_NUMBER,
                {"account_sid": TWILIO_ACCOUNT_SID, "auth_token": twilio_token},
            )
            for kind in (IntakeChannel.Kind.SMS, IntakeChannel.Kind.VOICE)
        ),
    ]
    for kind, provider, address, config in wanted:
        channel = IntakeChannel.objects.filter(kind=kind, address=address).first()
        if channel is None:
            channel = IntakeChannel(event=event, kind=kind, provider=provider, address=address)
        if config and intake_config.opened(channel) != config:
            intake_config.seal(channel, config)
        channel.save()


@transaction.atomic
def seed(password: str, totp_secret: str = "", twilio_token: str = "") -> Event:
    organisation, _created = Organisation.objects.get_or_create(
        slug="pycon-demo-org",
        defaults={
            "name": "PyCon Demo Organisers",
            "fallback_contact_email": "organisers@pycon-demo.example",
        },
    )
    event = Event.objects.filter(slug=EVENT_SLUG).first() or Event(
        organisation=organisation,
        slug=EVENT_SLUG,
        name="PyCon Demo",
        time_zone=TIME_ZONE,
        venue="Demo Convention Center, Hall A",
        emergency_number="911",
        venue_security_contact="Venue security: +1 555 0199 (24 h), desk by the main entrance",
        duty_phone="+1 555 0100",
        staff_recognition=(
            "Staff wear bright orange T-shirts with STAFF on the front and back, "
            "and orange lanyards."
        ),
        code_of_conduct_text=CODE_OF_CONDUCT,
        handling_guide=HANDLING_GUIDE,
        emergency_note="911 works from any phone in the United States, also without a SIM card.",
        languages=",".join(code for code, _name in settings.LANGUAGES),
        default_language="en",
    )
    today = timezone.localdate(timezone=event.zone)
    if event.pk is None or not (event.starts_on <= today <= event.ends_on):
        event.starts_on = today - timedelta(days=1)
        event.ends_on = today + timedelta(days=1)
    save_event(event, by=SEEDER)
    # Translated where a visitor needs it at once; the code of conduct stays in English,
    # which shows how a missing translation falls back, marked as English.
    written = set(EventText.objects.filter(event=event).values_list("language", flat=True))
    for language, recognition in STAFF_RECOGNITION.items():
        if language not in written:
            save_event_texts(event, language, {"staff_recognition": recognition}, by=SEEDER)

    user_model = get_user_model()
    for username, (first, last, role, phone, badge) in PEOPLE.items():
        user = _user(user_model, username, first, last, password)
        membership = Membership.objects.filter(event=event, user=user).first()
        if membership is None:
            membership = staff.add_member(
                event,
                user,
                by=SEEDER,
                role=role,
                phone=phone,
                badge_number=badge,
                shown_publicly=True,
            )
        membership.event = event
        if not membership.is_current:
            staff.acknowledge(
                membership,
                by=user,
                coc_version=event.code_of_conduct_version,
                guide_version=event.handling_guide_version,
            )
        _cover_with_shift(membership, event)

    admin = _user(user_model, *ADMIN, password)
    OrganiserAdmin.objects.get_or_create(organisation=organisation, user=admin)
    _vouch_for_the_team(admin, event, password)
    if totp_secret:
        for username in [*PEOPLE, ADMIN[0]]:
            enrol_with_secret(user_model.objects.get(username=username), totp_secret)

    title = "Onsite staff meeting: code of conduct and reporting procedure"
    briefing = Briefing.objects.filter(event=event, title=title).first() or staff.add_briefing(
        event,
        by=SEEDER,
        title=title,
        held_at=datetime.combine(event.starts_on, time(8, 30), tzinfo=event.zone),
        location="Green room",
    )
    everyone = set(Membership.objects.filter(event=event).values_list("pk", flat=True))
    staff.set_attendance(briefing, everyone, by=SEEDER)
    if twilio_token:
        _reporting_channels(event, twilio_token)
    return event


def _user(user_model, username, first, last, password):
    user, _created = user_model.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@pycon-demo.example",
        },
    )
    if not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password", "password_certificate"])
    # A key pair from the start, so the demo's first reports are sealed to the team.
    people.unlock(user, password)
    return user


def _vouch_for_the_team(admin, event, password):
    """As at a real briefing: the organiser admin confirms each case worker's key, and
    each of them, signing in, vouches back (vault.trust): grants work from the start."""
    admin.vault_private = people.unlock(admin, password)
    workers = Membership.objects.filter(event=event).case_workers().select_related("user")
    for membership in workers:
        keytrust.endorse(membership.user, by=admin)
    for membership in workers:
        membership.user.vault_private = people.unlock(membership.user, password)
        keytrust.vouch_in_session(membership.user)


def _cover_with_shift(membership, event):
    """One shift from the event's first morning to its last night, covering now."""
    now = timezone.now()
    if not membership.shifts.filter(starts_at__lte=now, ends_at__gt=now):
        staff.add_shift(membership, by=SEEDER, starts_at=event.starts_at(), ends_at=event.ends_at())
