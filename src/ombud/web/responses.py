"""Responses that carry a file out of the vault."""

from django.http import HttpResponse
from django.utils.http import content_disposition_header


def download(opened) -> HttpResponse:
    """Always a download, never shown inline: a file cannot run in Ombud's origin."""
    response = HttpResponse(opened.data, content_type=opened.content_type)
    response["Content-Disposition"] = content_disposition_header(True, opened.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    # A PDF or SVG opened anyway gets no scripts, forms or plugins from this origin.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
