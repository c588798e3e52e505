"""Error pages and error reports that cannot carry report content."""

import logging
import traceback

from django.shortcuts import render
from django.views.debug import SafeExceptionReporterFilter


class ConfidentialExceptionReporterFilter(SafeExceptionReporterFilter):
    """Hide every POST field, local variable and identifying header.

    Ombud's forms are made of report content and receipts; rather than list
    which fields are sensitive and hope the list stays complete, none is shown.
    """

    hidden_settings = SafeExceptionReporterFilter.hidden_settings

    def is_active(self, request):
        return True

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]

    def get_safe_request_meta(self, request):
        return {
            key: self.cleansed_substitute
            for key in request.META
            if key.startswith("HTTP_") or key in {"QUERY_STRING", "REMOTE_ADDR"}
        }


class RedactingFormatter(logging.Formatter):
    """Log tracebacks without exception messages.

    A driver error can quote the values of the row it failed on; the type
    and the stack are enough to find the bug.
    """

    def formatException(self, ei):  # noqa: N802 -- logging's name
        chain, exc, seen = [], ei[1], set()
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            chain.append(exc)
            exc = exc.__cause__ or exc.__context__
        lines = []
        for exc in reversed(chain):
            lines.append("Traceback (most recent call last):\n")
            lines.extend(traceback.format_tb(exc.__traceback__))
            kind = type(exc)
            lines.append(f"{kind.__module__}.{kind.__qualname__}: <message withheld>\n")
        return "".join(lines).rstrip("\n")


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    # Anything a user may not reach is reported as missing: existence is confidential.
    return render(request, "errors/404.html", status=404)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def server_error(request):
    return render(request, "errors/500.html", status=500)
