import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ombud.audit import chain
from ombud.audit.services import current_head, verify_log


def _anchor_path() -> Path:
    return Path(settings.DATA_DIR) / "audit-anchor.json"


def _read_head(path: Path) -> chain.Head:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return chain.Head(int(data["seq"]), str(data["hash"]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CommandError(f"{path} is not a head exported by `ombud audit head`.") from exc


class Command(BaseCommand):
    help = (
        "Audit log tools. `verify` walks the keyed hash chain and fails on any edited, "
        "deleted, inserted or reordered entry, and on a log cut short since the last "
        "verification (or since a head exported with `head`)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "head"])
        parser.add_argument(
            "--against",
            type=Path,
            help="a head exported earlier with `ombud audit head` (kept offline)",
        )

    def handle(self, *args, **options):
        if options["action"] == "head":
            head = current_head()
            self.stdout.write(json.dumps(head.as_dict() if head else {"seq": 0, "hash": ""}))
            return
        anchor_file = _anchor_path()
        anchors = []
        if anchor_file.exists():
            anchors.append(_read_head(anchor_file))
        if options["against"]:
            anchors.append(_read_head(options["against"]))
        verdicts = [verify_log(anchor) for anchor in anchors] or [verify_log()]
        verdict = next((v for v in verdicts if not v.ok), verdicts[-1])
        if not verdict.ok:
            raise CommandError(
                f"audit log BROKEN at entry {verdict.at_seq}: {verdict.problem} "
                f"({verdict.checked} entries verified before it)"
            )
        if verdict.head:
            # The next verification proves nothing before this head was removed.
            anchor_file.write_text(json.dumps(verdict.head.as_dict()), encoding="utf-8")
        head = verdict.head.hash if verdict.head else chain.GENESIS
        self.stdout.write(f"audit log OK: {verdict.checked} entries, head {head}")
