"""Second factors (django-otp): TOTP apps, and one-time recovery codes.

Required for everyone who can read reports or manage an organisation:
responders, incident leads and organiser admins.
"""

import base64
import binascii
import hmac
import secrets

import segno
from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ombud.events.models import OrganiserAdmin
from ombud.staff.models import CASE_ROLES, Membership

RECOVERY_CODES = 10


def required_for(user) -> bool:
    if not user.is_authenticated:
        return False
    return (
        Membership.objects.active().filter(user=user, role__in=CASE_ROLES).exists()
        or OrganiserAdmin.objects.filter(user=user).exists()
    )


def has_device(user) -> bool:
    return any(True for _device in devices_for_user(user, confirmed=True))


class TooSoon(Exception):
    """Wrong codes were entered: django-otp makes each next try wait longer."""


def verify(user, code: str):
    """The device the code belongs to (TOTP or a recovery code), or None."""
    code = "".join((code or "").split())
    if not code or len(code) > 20:
        return None
    devices = list(devices_for_user(user, confirmed=True))
    if devices and not any(d.verify_is_allowed()[0] for d in devices):
        raise TooSoon
    for device in devices:
        if settings.DEMO_MODE and isinstance(device, TOTPDevice) and _demo_match(device, code):
            return device
        if device.verify_is_allowed()[0] and device.verify_token(code):
            return device
    return None


def _demo_match(device: TOTPDevice, code: str) -> bool:
    """Demo mode only: a code may be used again within its window, so scripts can sign
    in as often as they need. Production refuses a code's reuse (RFC 6238, 5.2)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now = totp.t()
    for offset in range(-device.tolerance, device.tolerance + 1):
        totp.time = (now + offset) * device.step + device.t0
        if hmac.compare_digest(f"{totp.token():0{device.digits}d}", code):
            return True
    return False


def start_enrolment(user) -> TOTPDevice:
    """A fresh, unconfirmed authenticator for the user to scan."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(binascii.unhexlify(device.key)).decode()


def qr_data_uri(device: TOTPDevice) -> str:
    """The provisioning URI as an inline SVG QR code (no request leaves the page)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


@transaction.atomic
def confirm_enrolment(device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator with a code from it; returns new recovery codes."""
    if not device.verify_token("".join((code or "").split())):
        return None
    TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(device.user)


@transaction.atomic
def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes; shown once, each works once."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def enrol_with_secret(user, base32_secret: str) -> TOTPDevice:
    """For the demo: an authenticator with a known secret, so scripts can sign in."""
    key = binascii.hexlify(
        base64.b32decode(base32_secret.upper() + "=" * (-len(base32_secret) % 8))
    )
    device, _created = TOTPDevice.objects.update_or_create(
        user=user, name="demo authenticator", defaults={"key": key.decode(), "confirmed": True}
    )
    return device
