"""Log lines as JSON objects (``OMBUD_LOG_FORMAT=json``), and the request id they carry.

The JSON formatter is the redacting one with another layout: exception messages stay
withheld (``web.errors.RedactingFormatter``), and a record says only what its message
already said - time, level, logger, message - plus the id of the request it belongs to.
"""

import contextvars
import json
import logging
import secrets
from datetime import UTC, datetime

from ombud.web.errors import RedactingFormatter

# Random per request, never derived from the client: it links the lines of one request
# (and the X-Request-ID the response carries) and nothing else.
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("ombud_request_id", default="")


def new_request_id() -> contextvars.Token:
    return _request_id.set(secrets.token_hex(8))


def current_request_id() -> str:
    return _request_id.get()


def end_request(token: contextvars.Token) -> None:
    _request_id.reset(token)


class JsonFormatter(RedactingFormatter):
    """One JSON object per line: time, level, logger, message, request_id, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False)
