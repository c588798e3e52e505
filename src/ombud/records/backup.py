"""Backups an organisation can restore: one archive, encrypted to keys it holds offline.

The archive is a tar stream - the database (SQLite's online backup API, or
``pg_dump``), the key files and everything else in the data directory, and a
manifest with the SHA-256 of each - encrypted with age (pyrage, the Rust
implementation) to the recipients in ``OMBUD_BACKUP_RECIPIENTS``. age's
authenticated encryption refuses any changed or cut-short archive; the manifest
then proves every part is there. The tar stream is encrypted as it is written:
no unencrypted archive ever touches the disk. Because the archive holds the
database and the key files together, the backup identity that opens it must live
offline and apart from both (docs/security.md, "Backups").
"""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyrage
from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from ombud import __version__

FORMAT = "ombud-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/ombud.sqlite3"
PGDUMP_MEMBER = "database/ombud.pgdump"
EXTERNAL_KEY_MEMBER = "external/vault-keys.json"
_CHUNK = 1 << 20
# The live database and what is rebuilt by itself are never copied file by file.
_SKIPPED_DIRS = {"cache", "tmp"}
_SKIPPED_SUFFIXES = (".sqlite3", ".sqlite3-wal", ".sqlite3-shm", ".sqlite3-journal", ".writelock")


class BackupError(Exception):
    """Says what is wrong, for the operator; never a secret or content."""


@dataclass(frozen=True)
class Summary:
    files: int
    size: int
    database: str
    created_at: str


# --- keys ---------------------------------------------------------------------------


def keygen(path: Path) -> str:
    """Write a new backup identity to ``path`` (only its owner may read it) and return its
    public recipient, for ``OMBUD_BACKUP_RECIPIENTS``."""
    identity = pyrage.x25519.Identity.generate()
    recipient = str(identity.to_public())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{path} exists; a backup identity is never overwritten.") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(f"# Ombud backup identity, created {timezone.now():%Y-%m-%d}\n")
        handle.write(f"# public recipient: {recipient}\n{identity}\n")
    return recipient


def recipients(value: str | None = None) -> list:
    value = settings.BACKUP_RECIPIENTS if value is None else value
    found = []
    for text in (part.strip() for part in value.split(",")):
        if not text:
            continue
        try:
            found.append(pyrage.x25519.Recipient.from_str(text))
        except pyrage.RecipientError:
            raise BackupError(
                "OMBUD_BACKUP_RECIPIENTS holds something that is not an age recipient (age1…)."
            ) from None
    if not found:
        raise BackupError(
            "No backup recipients: set OMBUD_BACKUP_RECIPIENTS to the public recipient(s) "
            "printed by `ombud backup keygen`."
        )
    return found


def identity(path: Path):
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise BackupError(f"The identity file cannot be read: {exc.strerror}.") from None
    for line in lines:
        if line.startswith("AGE-SECRET-KEY-"):
            try:
                return pyrage.x25519.Identity.from_str(line.strip())
            except pyrage.IdentityError:
                break
    raise BackupError(f"{path} holds no backup identity (AGE-SECRET-KEY-…).")


# --- create ---------------------------------------------------------------------------


def _database_copy(staging: Path) -> tuple[str, Path]:
    if connection.vendor == "sqlite":
        target = staging / "ombud.sqlite3"
        connection.ensure_connection()
        # The online backup API: a consistent copy while the server keeps writing.
        with sqlite3.connect(target) as copy:
            connection.connection.backup(copy)
        copy.close()
        return SQLITE_MEMBER, target
    if connection.vendor == "postgresql":
        target = staging / "ombud.pgdump"
        _run_pg(
            "pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "--file", str(target)]
        )
        return PGDUMP_MEMBER, target
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")


def _pg_env() -> tuple[dict, list]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    args = ["--host", db.get("HOST") or "localhost", "--dbname", db["NAME"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    return env, args


def _pg_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    # Debian keeps the versioned tools outside PATH.
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    if candidates:
        return str(candidates[0])
    raise BackupError(f"{name} is not installed (Debian: postgresql-client).")


def _run_pg(tool: str, args: list) -> None:
    env, connection_args = _pg_env()
    result = subprocess.run(  # noqa: S603 -- our own arguments, no shell
        [_pg_binary(tool), *args, *connection_args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        # pg's own message names objects, never row content.
        raise BackupError(f"{tool} failed: {result.stderr.strip()[:500]}")


def _data_files() -> list[tuple[str, Path]]:
    root = Path(settings.DATA_DIR)
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] in _SKIPPED_DIRS or not path.is_file():
            continue
        if path.name.endswith(_SKIPPED_SUFFIXES):
            continue
        found.append((f"data/{relative.as_posix()}", path))
    key_file = Path(settings.VAULT_KEY_FILE)
    if not key_file.resolve().is_relative_to(root.resolve()) and key_file.is_file():
        found.append((EXTERNAL_KEY_MEMBER, key_file))
    return found


def _applied_migrations() -> dict:
    applied: dict = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def _add_file(archive: tarfile.TarFile, member: str, path: Path, hashes: dict) -> int:
    info = tarfile.TarInfo(member)
    info.size = path.stat().st_size
    info.mode = 0o600
    info.mtime = int(path.stat().st_mtime)
    digest = hashlib.sha256()

    class Hashing(io.RawIOBase):
        def __init__(self, handle):
            self.handle = handle

        def readable(self):
            return True

        def readinto(self, buffer):
            data = self.handle.read(len(buffer))
            digest.update(data)
            buffer[: len(data)] = data
            return len(data)

    with path.open("rb") as handle:
        archive.addfile(info, io.BufferedReader(Hashing(handle), _CHUNK))
    hashes[member] = {"sha256": digest.hexdigest(), "size": info.size}
    return info.size


def create(target: Path) -> Summary:
    """Write the encrypted archive to ``target`` (via a temporary name, then renamed)."""
    to = recipients()
    staging = Path(settings.DATA_DIR) / "tmp" / f"backup-{uuid.uuid4().hex}"
    staging.mkdir(mode=0o700)
    partial = target.with_name(target.name + ".partial")
    try:
        member, database_file = _database_copy(staging)
        parts = [(member, database_file), *_data_files()]
        manifest = {
            "format": FORMAT,
            "ombud_version": __version__,
            "created_at": timezone.now().isoformat(),
            "database": connection.vendor,
            "migrations": _applied_migrations(),
            "external_key_file": any(m == EXTERNAL_KEY_MEMBER for m, _p in parts),
            "files": {},
        }
        total = _encrypt_stream(partial, to, parts, manifest)
        os.replace(partial, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        partial.unlink(missing_ok=True)
    return Summary(len(manifest["files"]), total, manifest["database"], manifest["created_at"])


def _encrypt_stream(partial: Path, to: list, parts: list, manifest: dict) -> int:
    read_end, write_end = os.pipe()
    failure: list = []
    total = [0]

    def produce():
        try:
            with (
                os.fdopen(write_end, "wb", buffering=_CHUNK) as pipe,
                tarfile.open(fileobj=pipe, mode="w|", format=tarfile.PAX_FORMAT) as archive,
            ):
                for member, path in parts:
                    total[0] += _add_file(archive, member, path, manifest["files"])
                data = json.dumps(manifest, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode = len(data), 0o600
                archive.addfile(info, io.BytesIO(data))
        except BaseException as exc:  # reported by the caller, not lost in the thread
            failure.append(exc)

    producer = threading.Thread(target=produce, name="backup-tar")
    producer.start()
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(read_end, "rb") as reader, os.fdopen(fd, "wb") as out:
            pyrage.encrypt_io(reader, out, to)
            out.flush()
            os.fsync(out.fileno())
    finally:
        producer.join()
    if failure:
        raise BackupError(f"The backup could not be written: {failure[0]}") from failure[0]
    return total[0]


# --- read: verify and restore -------------------------------------------------------


def _decrypted_members(archive_path: Path, identity_path: Path, on_member):
    """Decrypt and walk the archive, calling ``on_member(info, stream, digest_so_far)``;
    returns the manifest after checking every member against it."""
    ident = identity(identity_path)
    if not archive_path.is_file():
        raise BackupError(f"{archive_path} does not exist.")
    read_end, write_end = os.pipe()
    failure: list = []

    def decrypt():
        try:
            with os.fdopen(write_end, "wb") as pipe, archive_path.open("rb") as source:
                pyrage.decrypt_io(source, pipe, [ident])
        except BrokenPipeError:
            pass  # the reader stopped early: its own error says why
        except (OSError, pyrage.DecryptError) as exc:
            failure.append(exc)

    decryptor = threading.Thread(target=decrypt, name="backup-decrypt")
    decryptor.start()
    seen: dict = {}
    manifest = None
    try:
        with (
            os.fdopen(read_end, "rb") as pipe,
            tarfile.open(fileobj=pipe, mode="r|") as archive,
        ):
            for info in archive:
                if not info.isfile():
                    raise BackupError("The archive holds something other than files.")
                stream = archive.extractfile(info)
                if info.name == MANIFEST:
                    manifest = json.loads(stream.read(4 << 20))
                    continue
                _check_name(info.name)
                seen[info.name] = on_member(info, stream)
    except tarfile.TarError:
        decryptor.join()
        raise BackupError(_refusal(failure)) from None
    finally:
        decryptor.join()
    if failure:
        raise BackupError(_refusal(failure))
    _check_manifest(manifest, seen)
    return manifest


def _refusal(failure) -> str:
    if failure:
        return (
            "The archive does not open with this identity, or it was changed or cut short: refused."
        )
    return "The archive is not a valid Ombud backup: refused."


def _check_name(name: str) -> None:
    path = Path(name)
    if (
        path.is_absolute()
        or ".." in path.parts
        or path.parts[0]
        not in {
            "data",
            "database",
            "external",
        }
    ):
        raise BackupError("The archive holds a file outside its own folders: refused.")


def _check_manifest(manifest, seen: dict) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("The archive has no Ombud manifest: refused.")
    files = manifest.get("files", {})
    if set(files) != set(seen):
        raise BackupError("The archive's files do not match its manifest: refused.")
    for name, (sha256, size) in seen.items():
        if files[name] != {"sha256": sha256, "size": size}:
            raise BackupError(f"{name} does not match its manifest: refused.")


def _copy_hashing(stream, out) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    return digest.hexdigest(), size


def verify(archive_path: Path, identity_path: Path) -> Summary:
    """Decrypt and check every part against the manifest, writing nothing to disk."""
    manifest = _decrypted_members(
        archive_path, identity_path, lambda info, stream: _copy_hashing(stream, None)
    )
    total = sum(f["size"] for f in manifest["files"].values())
    return Summary(len(manifest["files"]), total, manifest["database"], manifest["created_at"])


def ensure_empty() -> None:
    """Restore only into an installation that holds nothing: no database tables, no keys."""
    if Path(settings.VAULT_KEY_FILE).exists():
        raise BackupError(
            f"{settings.VAULT_KEY_FILE} exists: restore only into an empty data directory."
        )
    if (Path(settings.DATA_DIR) / "audit-anchor.json").exists():
        raise BackupError(
            "The data directory holds an audit anchor: restore only into an empty one."
        )
    if connection.introspection.table_names():
        raise BackupError("The database is not empty: restore only into an empty database.")


def restore(archive_path: Path, identity_path: Path) -> Summary:
    """Bring an installation back from an archive, into an empty data directory and an
    empty database. Everything is checked before anything takes its place."""
    ensure_empty()
    root = Path(settings.DATA_DIR)
    staging = root / "tmp" / f"restore-{uuid.uuid4().hex}"
    staging.mkdir(mode=0o700)
    try:

        def stage(info, stream):
            target = staging / info.name
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                return _copy_hashing(stream, out)

        manifest = _decrypted_members(archive_path, identity_path, stage)
        if manifest["database"] != connection.vendor:
            raise BackupError(
                f"The archive holds a {manifest['database']} database; this installation "
                f"uses {connection.vendor}."
            )
        _put_in_place(staging, manifest, root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    total = sum(f["size"] for f in manifest["files"].values())
    return Summary(len(manifest["files"]), total, manifest["database"], manifest["created_at"])


def _put_in_place(staging: Path, manifest: dict, root: Path) -> None:
    for name in manifest["files"]:
        source = staging / name
        if name.startswith("data/"):
            target = root / name.removeprefix("data/")
        elif name == EXTERNAL_KEY_MEMBER:
            target = Path(settings.VAULT_KEY_FILE)
        else:
            continue
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.replace(source, target)
    if manifest["database"] == "sqlite":
        connection.close()
        database = Path(settings.DATABASES["default"]["NAME"])
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.replace(staging / SQLITE_MEMBER, database)
    else:
        _run_pg(
            "pg_restore",
            ["--no-owner", "--no-privileges", "--exit-on-error", str(staging / PGDUMP_MEMBER)],
        )
