"""`ombud demo` as a newcomer runs it: real server, real worker, real SMTP."""

import json
import re
import urllib.error
import urllib.request

import pytest

from tests.live import DEMO_PASSWORD, demo_otp

pytestmark = pytest.mark.system

DEMO_USERS = {"chair", "coordinator", "responder1", "responder2", "staff1", "desk", "admin"}


def _post_json(url, payload, headers=None):
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def _get_json(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_demo_takes_a_report_and_alerts_the_on_duty_team_by_smtp(fresh_demo_server, mail_sink):
    status, created = _post_json(
        fresh_demo_server.base_url + "/api/v1/events/pycon-demo/reports",
        {"what_happened": "A SECRET-DETAIL that must not be mailed", "who": "someone"},
    )
    assert status == 201
    assert re.fullmatch(r"([0-9A-Z]{4}-){6}[0-9A-Z]{4}", created["receipt"])

    leads_and_responders = {
        f"{u}@pycon-demo.example" for u in ("chair", "coordinator", "responder1", "responder2")
    }
    messages = mail_sink.wait_for(
        lambda ms: {a for m in ms for a in m.envelope_to} >= leads_and_responders
    )
    for mail in messages:
        assert "SECRET-DETAIL" not in mail.raw.decode()
        assert mail.message["Subject"] == "Ombud: a new report needs attention"
        assert fresh_demo_server.base_url + "/staff/cases/" in mail.body
    assert not mail_sink.to("staff1@pycon-demo.example")
    assert not mail_sink.to("desk@pycon-demo.example")


def test_demo_users_can_sign_in_to_the_api_with_the_demo_password(fresh_demo_server):
    roles = {}
    for username in DEMO_USERS:
        _status, token = _post_json(
            fresh_demo_server.base_url + "/api/v1/auth/token",
            {"username": username, "password": DEMO_PASSWORD, "otp": demo_otp()},
        )
        _status, me = _get_json(
            fresh_demo_server.base_url + "/api/v1/me",
            {"Authorization": f"Bearer {token['token']}"},
        )
        roles[username] = me["roles"]["pycon-demo"]
    assert roles == {
        "chair": ["lead"],
        "coordinator": ["lead"],
        "responder1": ["responder"],
        "responder2": ["responder"],
        "staff1": ["staff"],
        "desk": ["desk"],
        "admin": ["organiser_admin"],
    }


def test_demo_runs_again_without_losing_data_and_reset_starts_over(fresh_demo_server):
    _status, created = _post_json(
        fresh_demo_server.base_url + "/api/v1/events/pycon-demo/reports", {"what_happened": "kept"}
    )
    fresh_demo_server.stop()
    fresh_demo_server.start()
    status, view = _get_json(
        fresh_demo_server.base_url + "/api/v1/receipt", {"X-Receipt": created["receipt"]}
    )
    assert (status, view["report"]["what_happened"]) == (200, "kept")
    verified = fresh_demo_server.command("audit", "verify")
    assert "audit log OK" in verified.stdout


def test_demo_reset_starts_over_on_sqlite(tmp_path, mail_sink):
    from tests.live import OmbudDemo  # noqa: PLC0415

    server = OmbudDemo(tmp_path / "data", mail=mail_sink).start()
    try:
        _status, created = _post_json(
            server.base_url + "/api/v1/events/pycon-demo/reports", {"what_happened": "gone"}
        )
        server.stop()
        server.start("--reset")
        request = urllib.request.Request(
            server.base_url + "/api/v1/receipt", headers={"X-Receipt": created["receipt"]}
        )
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            urllib.request.urlopen(request, timeout=10)
        assert excinfo.value.code == 404
    finally:
        server.stop()
