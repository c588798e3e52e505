"""Canary: a unique string in every field of a report, its note, its messages and
its follow-up is found nowhere it must not be - not in the database files, not in
the server's or worker's log output, not in any e-mail - and neither are receipts."""

import re
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest

from ombud.cases.models import Report
from tests.live import DEMO_PASSWORD, demo_otp
from tests.system.http import Session

pytestmark = pytest.mark.system


def _canary(tag: str) -> str:
    return f"CANARY{secrets.token_hex(6).upper()}{tag}"


def _report_fields(token: str) -> dict:
    return {name: f"{_canary(name)} {token}" for name in Report.SEALED_FIELDS}


def _database_bytes(server) -> bytes:
    url = server.env.get("OMBUD_DATABASE_URL")
    if url:
        pg_dump = (
            shutil.which("pg_dump") or sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))[-1]
        )
        return subprocess.run(
            [str(pg_dump), "--no-owner", url], capture_output=True, check=True, timeout=60
        ).stdout
    # Every file Ombud wrote to its data directory: database, WAL, cache, mailbox.
    return b"".join(
        path.read_bytes()
        for path in sorted(server.data_dir.rglob("*"))
        if path.is_file() and path.name != "process.log"
    )


def test_report_content_and_receipts_appear_nowhere_but_in_sealed_form(demo_server, mail_sink):
    token = secrets.token_hex(4)
    canaries = []
    reporter = Session(demo_server.base_url)

    # A report through the web form, every field filled.
    form = _report_fields(token)
    form.update(
        danger_now="yes",
        still_going_on="yes",
        reporter_relation="target",
        law_enforcement="not_now",
    )
    canaries += [v.split()[0] for k, v in form.items() if k in Report.SEALED_FIELDS]
    # A file with it, its name and content canaries too.
    file_name, file_text = _canary("filename"), _canary("filecontent")
    canaries += [file_name, file_text]
    files = {"attachments": (f"{file_name}.txt", f"{file_text} {token}".encode(), "text/plain")}
    filed = reporter.post_form("/e/pycon-demo/report/", form, files=files)
    assert filed.status == 200
    receipt = re.search(r'id="receipt">([0-9A-Z-]+)<', filed.text).group(1)

    # A report through the API, every field filled.
    api_fields = _report_fields(token)
    canaries += [v.split()[0] for v in api_fields.values()]
    created = reporter.request(
        "POST", "/api/v1/events/pycon-demo/reports", json_body={**api_fields, "danger_now": True}
    ).json()
    api_receipt = created["receipt"]

    # Bad input carrying content: refused, and not logged either.
    bad = _canary("bad")
    canaries.append(bad)
    assert (
        reporter.request(
            "POST", "/api/v1/events/pycon-demo/reports", json_body={"what_happened": bad, "x": 1}
        ).status
        == 422
    )
    assert reporter.post_form("/e/pycon-demo/report/", {"what_happened": bad * 2000}).status == 400

    # The chair reads, notes and writes to the reporter; the reporter adds more.
    chair = Session(demo_server.base_url)
    assert chair.sign_in("chair", DEMO_PASSWORD, demo_otp()).url.endswith("/staff/")
    mail = mail_sink.wait_for(lambda ms: any("chair@" in a for m in ms for a in m.envelope_to))
    case_path = re.search(r"/staff/cases/[0-9a-f-]+/", mail[0].body).group(0)
    assert all(c not in chair.get(case_path).text for c in canaries)  # not before declaring
    chair.post_form(case_path, {"action": "declare", "choice": "no_conflict"})
    case_page = chair.get(case_path).text
    assert any(c in case_page for c in canaries)
    assert f"{file_name}.txt" in case_page  # the reporter's file reached the team
    note, message, addition = _canary("note"), _canary("message"), _canary("addition")
    canaries += [note, message, addition]
    for action, text in (("note", note), ("message", message)):
        assert chair.post_form(case_path, {"action": action, "text": text}).status == 200
    note_file = _canary("notefile")
    canaries += [note_file, _canary("notewithfile")]
    noted = chair.post_form(
        case_path,
        {"action": "note", "text": canaries[-1]},
        files={"attachments": ("badge.txt", note_file.encode(), "text/plain")},
    )
    assert noted.status == 200
    assert "badge.txt" in noted.text
    followup = reporter.post_form(
        "/receipt/", {"receipt": receipt, "action": "add", "text": addition}
    )
    assert message in followup.text
    assert reporter.get("/api/v1/receipt", headers={"X-Receipt": api_receipt}).status == 200
    forged = _canary("forged")
    canaries.append(forged)
    assert reporter.post_form("/receipt/", {"receipt": forged}).status in {400, 404}

    # Let the worker deliver everything queued, then look everywhere.
    mail_sink.wait_for(lambda ms: len(ms) >= 8)
    demo_server.stop()
    secrets_ = [
        *canaries,
        receipt,
        receipt.replace("-", ""),
        api_receipt,
        api_receipt.replace("-", ""),
    ]
    stored = _database_bytes(demo_server)
    logs = demo_server.log()
    mails = b"".join(m.raw for m in mail_sink.messages())
    assert "POST /e/pycon-demo/report/" in logs  # the log is really there
    assert b"pycon-demo" in stored  # and so is the database
    for secret in secrets_:
        assert secret.encode() not in stored, f"{secret[:12]}… in the database"
        assert secret not in logs, f"{secret[:12]}… in the logs"
        assert secret.encode() not in mails, f"{secret[:12]}… in an e-mail"

    # The demo event seals to the team's own keys: the server's key file, in the
    # hands of whoever took the machine, opens none of its cases.
    attempt = demo_server.command("shell", "-c", _WITH_THE_SERVER_KEY)
    assert "cases 2 " in attempt.stdout, attempt.stdout + attempt.stderr
    assert "opened 0" in attempt.stdout, attempt.stdout
    for secret in secrets_:
        assert secret not in attempt.stdout


# Every case, opened with the server key and the receipts' absence: what opens is printed.
_WITH_THE_SERVER_KEY = """
from ombud.cases.models import Case
from ombud.cases.services.recusal import report_content
from ombud.vault import services as vault
from ombud.vault.errors import VaultError
opened = 0
cases = list(Case.objects.all())
for case in cases:
    try:
        key = vault.open_as_server(case.pk)
    except VaultError:
        continue
    opened += 1
    for report in case.reports.all():
        print(report_content(report, key))
print("cases", len(cases), "opened", opened)
"""
