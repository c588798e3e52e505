import logging
import re
import time

from django.conf import settings
from django.utils.cache import add_never_cache_headers, patch_cache_control

from ombud.web import logformat, requeststats


class SecurityHeadersMiddleware:
    """Headers Django does not set itself.

    Every dynamic page may carry report content or a receipt, so nothing but
    static assets may be stored by a browser or a proxy.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault(
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        )
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if not request.path.startswith("/static/"):
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response


class AccessLogMiddleware:
    """One line per request: method, path, status, time. Nothing that could identify
    a reporter or open an account: no client address, no body size (it would hint
    at content length), and secret path segments (password links) blanked.

    Each request gets a random id for its log lines (and the X-Request-ID header), and
    is counted for ``/metrics`` under its URL name, never its path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        token = logformat.new_request_id()
        try:
            response = self.get_response(request)
            elapsed = time.monotonic() - started
            response["X-Request-ID"] = logformat.current_request_id()
            access_log.info(
                '"%s %s" %s %.0fms',
                request.method,
                _SECRET_PATHS.sub(r"\1…/", request.path),
                response.status_code,
                elapsed * 1000,
            )
        finally:
            logformat.end_request(token)
        requeststats.record(_view_name(request), request.method, response.status_code, elapsed)
        return response


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None and match.url_name:
        return match.view_name
    if request.path.startswith(settings.STATIC_URL):
        return "static"
    # Unmatched paths (404s of scanners) share one label: no path ever becomes one.
    return "unmatched"


access_log = logging.getLogger("ombud.access")
_SECRET_PATHS = re.compile(r"^(/staff/password/set/)[^/]+/[^/]+/")
