"""Plain factories for the test personas (no factory library: a few functions say it all)."""

import base64
import binascii
from datetime import timedelta
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from ombud.accounts.secondfactor import enrol_with_secret
from ombud.audit.services import Actor
from ombud.events.models import Event, Organisation, OrganiserAdmin
from ombud.events.services import save_event
from ombud.intake.services import FIELD_LIMITS, ReportInput, submit_report
from ombud.staff import services as staff
from ombud.staff.models import Role
from ombud.vault import holders, people

PASSWORD = "correct horse battery staple"
# Who the audit log says set the test world up.
SET_UP = Actor.system()
# Every test user's authenticator secret (base32), so tests can sign in with a code.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def user(username, first="", last="", **extra):
    user_model = get_user_model()
    extra.setdefault("email", f"{username}@example.org")
    created = user_model(username=username, first_name=first, last_name=last, **extra)
    created.set_password(PASSWORD)
    created.save()
    enrol_with_secret(created, TOTP_SECRET)
    people.unlock(created, PASSWORD)  # their key pair, as their first sign-in makes it
    return created


def otp(person=None) -> str:
    """The code an authenticator app with TOTP_SECRET shows now."""
    device = TOTPDevice(key=binascii.hexlify(base64.b32decode(TOTP_SECRET)).decode())
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"


def sign_in(client, person):
    """Signed in with password and second factor, as through the login pages."""
    client.force_login(person)
    device = TOTPDevice.objects.filter(user=person, confirmed=True).first()
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    # The private key, unlocked by the password as at sign-in (vault.holders).
    in_session, in_cookie = holders.sealed_pair(person, people.unlock(person, PASSWORD))
    session[holders.SESSION_FIELD] = in_session
    session.save()
    client.cookies[holders.COOKIE] = in_cookie
    return client


def organisation(slug="org", **extra):
    extra.setdefault("name", slug.title())
    return Organisation.objects.create(slug=slug, **extra)


def event(slug="conf", org=None, **extra):
    today = timezone.localdate()
    extra.setdefault("name", slug.title())
    extra.setdefault("starts_on", today - timedelta(days=1))
    extra.setdefault("ends_on", today + timedelta(days=1))
    extra.setdefault("time_zone", "Europe/Berlin")
    extra.setdefault("code_of_conduct_text", "Be excellent to each other.")
    extra.setdefault("handling_guide", "Listen, write it down, keep people safe.")
    created = Event(organisation=org or organisation(f"{slug}-org"), slug=slug, **extra)
    # Through the service, as the manage pages create events: with default categories.
    return save_event(created, by=SET_UP)


def member(event, person, role=Role.STAFF, *, acknowledged=True, on_duty=True, **extra):
    """On the roster through the roster services, so joining re-checks access as it does
    in the product; acknowledged by the person, on a shift that covers now."""
    membership = staff.add_member(event, person, by=SET_UP, role=role, **extra)
    if acknowledged:
        staff.acknowledge(
            membership,
            by=person,
            coc_version=event.code_of_conduct_version,
            guide_version=event.handling_guide_version,
        )
    if on_duty:
        now = timezone.now()
        staff.add_shift(
            membership,
            by=SET_UP,
            starts_at=now - timedelta(hours=2),
            ends_at=now + timedelta(hours=6),
        )
    return membership


def report_input(**fields) -> ReportInput:
    choices = {k: fields.pop(k) for k in list(fields) if k not in FIELD_LIMITS}
    content = dict.fromkeys(FIELD_LIMITS, "")
    content.update(fields)
    content.setdefault("what_happened", "Something happened.")
    if not content["what_happened"]:
        content["what_happened"] = "Something happened."
    return ReportInput(content=content, **choices)


def file_report(event, **fields):
    return submit_report(event, report_input(**fields))


def personas():
    """The fixed cast: every test of access sees all of them, the outsiders included."""
    conf = event("conf")
    other = event("other-conf")
    cast = SimpleNamespace(event=conf, other_event=other)
    cast.lead = user("lead", "Lena", "Lead")
    cast.lead2 = user("lead2", "Lou", "Second")
    cast.responder = user("responder", "Rita", "Responder")
    cast.responder_off = user("offduty", "Otto", "Offduty")
    cast.unacked = user("unacked", "Uma", "Unacked")
    cast.staff = user("staffer", "Sam", "Staffer")
    cast.desk = user("desker", "Dana", "Desker")
    cast.admin = user("orgadmin", "Ada", "Admin")
    cast.outsider = user("outsider", "Oscar", "Outsider")
    cast.memberships = {
        "lead": member(
            conf, cast.lead, Role.LEAD, on_duty=False, phone="+49 30 1111", shown_publicly=True
        ),
        "lead2": member(conf, cast.lead2, Role.LEAD),
        "responder": member(
            conf,
            cast.responder,
            Role.RESPONDER,
            badge_number="B-77",
            shown_publicly=True,
            phone="+49 30 2222",
        ),
        "responder_off": member(conf, cast.responder_off, Role.RESPONDER, on_duty=False),
        "unacked": member(
            conf, cast.unacked, Role.RESPONDER, acknowledged=False, shown_publicly=True
        ),
        "staff": member(conf, cast.staff, Role.STAFF, shown_publicly=True),
        "desk": member(conf, cast.desk, Role.DESK),
        "outsider": member(other, cast.outsider, Role.LEAD),
    }
    OrganiserAdmin.objects.create(organisation=conf.organisation, user=cast.admin)
    # The organiser admin who put the team together vouched for each of their keys.
    vouched(cast.lead, cast.lead2, cast.responder, cast.responder_off, cast.unacked, by=cast.admin)
    return cast


def vouched(*people, by):
    """``by`` has vouched for the people's current keys (vault.trust), as adding them to a
    response team or confirming their key on the dashboard does."""
    from ombud.cases.services import keytrust  # noqa: PLC0415

    signer = holding_key(by)
    for person in people:
        keytrust.endorse(person, by=signer)
    return people


def recused(case) -> set[str]:
    """Usernames kept away from a case (recusals store only keyed tags: match them)."""
    from ombud.cases.models import Recusal  # noqa: PLC0415
    from ombud.cases.services.recusal import tag_for  # noqa: PLC0415

    tags = set(Recusal.objects.filter(case=case).values_list("user_tag", flat=True))
    return {u.username for u in get_user_model().objects.all() if tag_for(u.pk) in tags}


def holding_key(person):
    """The person as a request would carry them: with their private key unlocked."""
    person.vault_private = people.unlock(person, PASSWORD)
    return person


def server_mode(event):
    """Switch a fresh event to the server-key mode (before any case exists)."""
    event.vault_mode = "server"
    event.save(update_fields=["vault_mode"])
    return event


def declared(case, *people):
    """The people have said they have no conflict of interest in the case (as the case
    page asks before it first opens for them)."""
    from ombud.cases.models import Declaration  # noqa: PLC0415

    for person in people:
        Declaration.objects.get_or_create(case=case, user=person, defaults={"at": timezone.now()})
    return case


def recovery_key(organisation, *, by) -> bytes:
    """The organisation's recovery key, made by the organiser admin ``by`` (certified and
    vouched for by them, as making it on its page does): its private half."""
    from ombud.cases.services import keytrust  # noqa: PLC0415
    from ombud.vault import personal, trust  # noqa: PLC0415

    public, private = personal.new_key_pair()
    organisation.recovery_public_key = public
    organisation.recovery_certificate = trust.certify(trust.recovery_binding(organisation))
    organisation.save(update_fields=["recovery_public_key", "recovery_certificate"])
    keytrust.endorse_recovery(organisation, by=holding_key(by))
    return private
