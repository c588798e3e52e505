"""What the venue's printables share: the public report page's address and its QR code."""

import segno
from django.conf import settings
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe


def report_url(event) -> str:
    return settings.BASE_URL + reverse("intake:report", args=[event.slug])


def qr_svg(url: str) -> SafeString:
    """The QR code as inline SVG: no request, no image file, sharp at any print size.

    Error correction "Q" survives a poster's creases and scuffs.
    """
    code = segno.make(url, error="q", micro=False)
    # segno writes only the code's own path and sizes: nothing of the caller's is in it.
    return mark_safe(code.svg_inline(scale=1, border=4, omitsize=True, dark="#000"))  # noqa: S308
