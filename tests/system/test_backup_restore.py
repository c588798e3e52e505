"""The restore drill (issue 13): a real installation with a case, backed up, wiped,
restored into a new data directory (and a new database), served again - the case
opens for the responder who could open it before, the audit chain verifies, and a
tampered archive is refused."""

import contextlib
import subprocess
import sys

import pytest

from tests.live import (
    DEMO_PASSWORD,
    FreshPostgresDatabase,
    OmbudDemo,
    demo_otp,
    postgres_admin_url,
)
from tests.system.http import Session

pytestmark = pytest.mark.system

CANARY = "RESTOREDRILL-7f3a the keynote speaker shouted at me"


def _ombud(env, *args, check=True):
    return subprocess.run(
        [sys.executable, "-m", "ombud", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=check,
    )


def _responder_reads(base_url, report_id) -> str:
    api = Session(base_url)
    token = api.request(
        "POST",
        "/api/v1/auth/token",
        json_body={"username": "responder1", "password": DEMO_PASSWORD, "otp": demo_otp()},
    ).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    listed = api.get(f"/api/v1/reports/{report_id}", headers=bearer)
    if listed.status == 409:
        case_id = listed.json()["case_id"]
        assert api.request(
            "POST", f"/api/v1/cases/{case_id}/declaration", json_body={}, headers=bearer
        ).status in {200, 201}
        listed = api.get(f"/api/v1/reports/{report_id}", headers=bearer)
    assert listed.status == 200, listed.text
    return listed.json()["content"]["what_happened"]


def test_backup_restore_drill(demo_server, tmp_path, mail_sink):
    filed = Session(demo_server.base_url).request(
        "POST", "/api/v1/events/pycon-demo/reports", json_body={"what_happened": CANARY}
    )
    assert filed.status == 201, filed.text
    report_id = filed.json()["report_id"]
    assert _responder_reads(demo_server.base_url, report_id) == CANARY

    identity = tmp_path / "backup-identity.txt"
    recipient = _ombud(demo_server.env, "backup", "keygen", str(identity)).stdout.strip()
    assert recipient.startswith("age1")
    archive = tmp_path / "ombud.backup.age"
    env = {**demo_server.env, "OMBUD_BACKUP_RECIPIENTS": recipient}
    _ombud(env, "backup", "create", str(archive))
    assert CANARY.encode() not in archive.read_bytes()
    assert (
        "Backup OK"
        in _ombud(env, "backup", "verify", str(archive), "--identity", str(identity)).stdout
    )
    demo_server.stop()

    with _empty_database(demo_server) as database_url:
        restored = OmbudDemo(tmp_path / "restored", mail=mail_sink, database_url=database_url)
        restored.data_dir.mkdir()
        result = _ombud(
            restored.env, "backup", "restore", str(archive), "--identity", str(identity)
        )
        assert "audit log OK" in result.stdout
        # Into an installation that already holds one: refused, nothing touched.
        again = _ombud(
            restored.env,
            "backup",
            "restore",
            str(archive),
            "--identity",
            str(identity),
            check=False,
        )
        assert again.returncode != 0
        assert "empty" in again.stderr
        restored.start()
        try:
            assert _responder_reads(restored.base_url, report_id) == CANARY
            assert "audit log OK" in restored.command("audit", "verify").stdout
        finally:
            restored.stop()

    tampered = tmp_path / "tampered.age"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    with _empty_database(demo_server) as database_url:
        target = OmbudDemo(tmp_path / "tampered", mail=mail_sink, database_url=database_url)
        target.data_dir.mkdir()
        refused = _ombud(
            target.env, "backup", "restore", str(tampered), "--identity", str(identity), check=False
        )
        assert refused.returncode != 0
        assert "refused" in refused.stderr
        assert not (target.data_dir / "keys" / "vault-keys.json").exists()
        assert CANARY not in refused.stdout + refused.stderr


@contextlib.contextmanager
def _empty_database(source: OmbudDemo):
    """A fresh empty database of the same kind as the drill's source."""
    if not source.env.get("OMBUD_DATABASE_URL", "").startswith("postgres"):
        yield ""
        return
    with FreshPostgresDatabase(postgres_admin_url()) as database_url:
        yield database_url
