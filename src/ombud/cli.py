"""The `ombud` console script: Ombud's commands and every Django management command.

ombud demo [--port 8000] [--reset]   migrate, seed and serve the demo with its worker
ombud serve [--port 8000]            serve with gunicorn
ombud worker                         deliver alerts
ombud mail-intake                    take reports by e-mail (SMTP listener, IMAP mailboxes)
ombud audit verify                   check the audit log's hash chain
ombud keys init                      create the vault key file (new installations)
ombud backup keygen|create|verify|restore   encrypted backups (see docs/security.md §4)
ombud purge [--dry-run]              expunge cases past their retention (docs/security.md)
"""

import argparse
import os
import sys

COMMAND_ALIASES = {"mail-intake": "mail_intake"}


def main(argv=None) -> None:
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "ombud"
    # Everything Ombud writes (database, keys, caches) is for its own user only.
    os.umask(0o077)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ombud.settings")
    if len(argv) > 1 and argv[1] == "demo":
        _demo_base_url(argv[2:])
    from django.core.exceptions import ImproperlyConfigured  # noqa: PLC0415 -- after env is set

    try:
        import django  # noqa: PLC0415

        django.setup()
    except ImproperlyConfigured as exc:
        print(f"ombud: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    if len(argv) == 1:
        print(__doc__.strip())
        print("\nEvery Django management command works too: ombud help")
        return
    from django.core.management import execute_from_command_line  # noqa: PLC0415

    # Management commands are Python modules: `ombud mail-intake` is mail_intake.
    argv[1] = COMMAND_ALIASES.get(argv[1], argv[1])
    execute_from_command_line(argv)


def _demo_base_url(args) -> None:
    """Links in the demo's alerts point at the port it serves on."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    known, _rest = parser.parse_known_args(args)
    os.environ.setdefault("OMBUD_BASE_URL", f"http://{known.host}:{known.port}")
