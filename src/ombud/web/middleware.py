import logging
import re
import time

from django.utils.cache import add_never_cache_headers, patch_cache_control


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
    at content length), and secret path segments (password links) blanked."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        elapsed = (time.monotonic() - started) * 1000
        access_log.info(
            '"%s %s" %s %.0fms',
            request.method,
            _SECRET_PATHS.sub(r"\1…/", request.path),
            response.status_code,
            elapsed,
        )
        return response


access_log = logging.getLogger("ombud.access")
_SECRET_PATHS = re.compile(r"^(/staff/password/set/)[^/]+/[^/]+/")
