"""OMBUD_LOG_FORMAT=json: one JSON object a line, the request's id, no exception text."""

import json
import logging
import re

import pytest

from ombud.web import logformat
from tests.test_configuration import ombud


def _record(message, *args, exc_info=None) -> logging.LogRecord:
    return logging.getLogger("ombud.test").makeRecord(
        "ombud.test", logging.WARNING, __file__, 1, message, args, exc_info
    )


def test_a_json_line_has_time_level_logger_and_message():
    line = json.loads(logformat.JsonFormatter().format(_record("delivered %d alerts", 3)))
    assert set(line) == {"time", "level", "logger", "message"}
    assert (line["level"], line["logger"], line["message"]) == (
        "WARNING",
        "ombud.test",
        "delivered 3 alerts",
    )
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])


def test_a_json_line_withholds_the_exception_message_like_the_text_one():
    # The traceback quotes source lines, so the value comes from a variable, as a row's would.
    value = "SECRET-VALUE from a row"
    try:
        raise ValueError(value)
    except ValueError as exc:
        exc_info = (type(exc), exc, exc.__traceback__)
    text = logformat.JsonFormatter().format(_record("failed", exc_info=exc_info))
    line = json.loads(text)
    assert "SECRET" not in text
    assert "builtins.ValueError: <message withheld>" in line["exception"]


@pytest.mark.django_db
def test_lines_logged_while_answering_carry_the_request_id(client, caplog):
    formatter = logformat.JsonFormatter()
    with caplog.at_level(logging.INFO, logger="ombud.access"):
        response = client.get("/healthz")
    access = [r for r in caplog.records if r.name == "ombud.access"]
    assert access
    # The id is the request's: formatted after it ended, the line has none.
    assert "request_id" not in json.loads(formatter.format(access[-1]))
    assert re.fullmatch(r"[0-9a-f]{16}", response["X-Request-ID"])


def test_the_request_id_is_in_the_line_while_the_request_runs():
    token = logformat.new_request_id()
    try:
        line = json.loads(logformat.JsonFormatter().format(_record("inside")))
        assert line["request_id"] == logformat.current_request_id()
    finally:
        logformat.end_request(token)
    assert logformat.current_request_id() == ""


def test_ombud_logs_json_lines_when_asked(tmp_path):
    code = "import logging; logging.getLogger('ombud.test').warning('hello %s', 'json')"
    result = ombud("shell", "-c", code, tmp_path=tmp_path, OMBUD_LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert (line["logger"], line["message"]) == ("ombud.test", "hello json")


def test_ombud_logs_text_lines_by_default(tmp_path):
    code = "import logging; logging.getLogger('ombud.test').warning('hello %s', 'text')"
    result = ombud("shell", "-c", code, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].endswith("WARNING ombud.test hello text")
