"""Backups in process: keys, refusals and what an archive holds (the full drill, with
real processes on both databases, is tests/system/test_backup_restore.py)."""

import io
import json
import os
import sqlite3
import stat
import tarfile

import pyrage
import pytest

from ombud.records import backup

pytestmark = pytest.mark.django_db

CANARY = "BACKUPCANARY-91c2 a key file's secret"


@pytest.fixture
def identity(tmp_path):
    path = tmp_path / "offline" / "identity.txt"
    path.parent.mkdir()
    recipient = backup.keygen(path)
    return path, recipient


@pytest.fixture
def data_dir(settings, tmp_path, monkeypatch):
    root = tmp_path / "data"
    (root / "keys").mkdir(parents=True)
    (root / "tmp").mkdir()
    (root / "keys" / "vault-keys.json").write_text("{}")
    settings.DATA_DIR = root

    # The test database lives in one open transaction, which SQLite's online backup
    # waits on forever; the copy step is exercised for real by the restore drill
    # (tests/system/test_backup_restore.py). Here it copies a real database file.
    def database_copy(staging):
        copy = staging / "ombud.sqlite3"
        with sqlite3.connect(copy) as database:
            database.execute("CREATE TABLE report (sealed BLOB)")
            database.execute("INSERT INTO report VALUES (?)", [b"sealed bytes"])
        database.close()
        return backup.SQLITE_MEMBER, copy

    monkeypatch.setattr(backup, "_database_copy", database_copy)
    return root


def test_keygen_writes_an_identity_only_its_owner_reads_and_never_overwrites(identity):
    path, recipient = identity
    assert recipient.startswith("age1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(backup.BackupError, match="never overwritten"):
        backup.keygen(path)


@pytest.mark.parametrize("value", ["", " , ", "age1notarecipient", "ssh-ed25519 AAAA"])
def test_create_refuses_without_valid_recipients(settings, data_dir, tmp_path, value):
    settings.BACKUP_RECIPIENTS = value
    with pytest.raises(backup.BackupError, match="recipient"):
        backup.create(tmp_path / "b.age")
    assert not list(tmp_path.glob("b.age*"))


def test_an_archive_holds_the_database_and_keys_encrypted_and_verifies(
    settings, data_dir, identity, tmp_path
):
    (data_dir / "keys" / "vault-keys.json").write_text(CANARY)
    settings.BACKUP_RECIPIENTS = identity[1]
    archive = tmp_path / "b.age"
    summary = backup.create(archive)
    # The database, the data directory's key file, and the vault key file the tests keep
    # outside it (OMBUD_VAULT_KEY_FILE), which a restore puts back where it was.
    assert summary.files == 3
    assert CANARY.encode() not in archive.read_bytes()
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert backup.verify(archive, identity[0]).files == 3
    assert not list((data_dir / "tmp").iterdir())  # the staging copy is gone


def test_a_changed_cut_or_foreign_archive_is_refused(settings, data_dir, identity, tmp_path):
    settings.BACKUP_RECIPIENTS = identity[1]
    archive = tmp_path / "b.age"
    backup.create(archive)
    data = archive.read_bytes()
    changed = tmp_path / "changed.age"
    changed.write_bytes(data[:300] + bytes([data[300] ^ 1]) + data[301:])
    cut = tmp_path / "cut.age"
    cut.write_bytes(data[: len(data) - 100])
    other = tmp_path / "other.txt"
    backup.keygen(other)
    for candidate, key in ((changed, identity[0]), (cut, identity[0]), (archive, other)):
        with pytest.raises(backup.BackupError, match="refused"):
            backup.verify(candidate, key)


def _encrypted_tar(path, recipient, members: dict, manifest: dict):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for name, data in {**members, backup.MANIFEST: json.dumps(manifest).encode()}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    path.write_bytes(pyrage.encrypt(raw.getvalue(), [pyrage.x25519.Recipient.from_str(recipient)]))


def test_an_archive_whose_files_do_not_match_its_manifest_is_refused(identity, tmp_path):
    archive = tmp_path / "forged.age"
    manifest = {"format": backup.FORMAT, "database": "sqlite", "created_at": "", "files": {}}
    _encrypted_tar(archive, identity[1], {"data/keys/extra": b"x"}, manifest)
    with pytest.raises(backup.BackupError, match="manifest"):
        backup.verify(archive, identity[0])


def test_an_archive_reaching_outside_its_folders_is_refused(identity, tmp_path, data_dir):
    archive = tmp_path / "escape.age"
    manifest = {"format": backup.FORMAT, "database": "sqlite", "created_at": "", "files": {}}
    _encrypted_tar(archive, identity[1], {"../../etc/cron.d/x": b"x"}, manifest)
    with pytest.raises(backup.BackupError, match="outside"):
        backup.verify(archive, identity[0])
    assert not os.path.exists(tmp_path / "etc")


def test_restore_refuses_an_installation_that_holds_keys(settings, data_dir, identity, tmp_path):
    settings.VAULT_KEY_FILE = data_dir / "keys" / "vault-keys.json"
    with pytest.raises(backup.BackupError, match="empty"):
        backup.restore(tmp_path / "any.age", identity[0])
