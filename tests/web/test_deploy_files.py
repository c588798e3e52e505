"""The files in deploy/ are what an operator installs: each is checked by the tool that
will read it (systemd, Caddy), and the example settings start Ombud in production."""

import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.test_configuration import ombud

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
INSTALLED_OMBUD = "/opt/ombud/venv/bin/ombud"
SRC = Path(__file__).resolve().parents[2] / "src"


def _ombud_script() -> str:
    """The `ombud` console script of the interpreter running the tests."""
    beside = Path(sys.executable).parent / "ombud"
    found = str(beside) if beside.exists() else shutil.which("ombud")
    assert found, "the ombud console script is not installed beside the test interpreter"
    return found


def _analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip("systemd-analyze is not installed here (Debian with systemd has it)")
    return found


@pytest.fixture
def units_here(tmp_path):
    """The shipped units with the installed script's path replaced by this machine's:
    systemd-analyze checks that the command exists."""
    folder = tmp_path / "units"
    folder.mkdir()
    for unit in UNITS:
        text = unit.read_text()
        assert INSTALLED_OMBUD in text, unit.name
        (folder / unit.name).write_text(text.replace(INSTALLED_OMBUD, _ombud_script()))
    return sorted(folder.iterdir())


def test_the_three_units_are_shipped():
    assert [u.name for u in UNITS] == [
        "ombud-mail-intake.service",
        "ombud-serve.service",
        "ombud-worker.service",
    ]


def test_systemd_accepts_the_units_without_a_warning(units_here):
    result = subprocess.run(
        [_analyze(), "verify", *map(str, units_here)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Unknown or misspelt settings are only warned about (and then ignored): none here.
    assert result.stdout + result.stderr == ""


def test_systemd_rates_each_unit_well_hardened(units_here):
    analyze = _analyze()
    for unit in units_here:
        result = subprocess.run(
            [analyze, "security", "--offline=true", "--threshold=20", str(unit)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        level = re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout)
        assert result.returncode == 0, result.stdout + result.stderr
        assert level, result.stdout
        assert float(level.group(1)) <= 2.0, unit.name


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_each_unit_runs_as_the_ombud_user_from_the_settings_file_alone(unit):
    lines = set(unit.read_text().splitlines())
    for needed in (
        "User=ombud",
        "EnvironmentFile=/etc/ombud/ombud.env",
        "ReadWritePaths=/var/lib/ombud",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "PrivateTmp=yes",
        "UMask=0077",
    ):
        assert needed in lines, (unit.name, needed)
    assert not any(line.startswith("Environment=") for line in lines), "settings in the unit"


def _example_settings() -> dict:
    settings = {}
    for line in (DEPLOY / "ombud.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _eq, value = line.partition("=")
            settings[name] = value.strip('"')
    return settings


def test_the_example_settings_name_only_variables_ombud_reads():
    source = "\n".join(p.read_text() for p in SRC.rglob("*.py"))
    for name in _example_settings():
        read_as = name.removesuffix("_FILE")
        assert f'"{read_as}"' in source, f"{name} is not read by Ombud"


def test_the_example_settings_start_ombud_in_production(tmp_path):
    """The example, with its secret files written and a local database, passes
    Django's deployment checks: nothing in it is refused."""
    example = _example_settings()
    assert example["OMBUD_MODE"] == "production"
    assert example["OMBUD_BASE_URL"].startswith("https://")
    for name in ("OMBUD_SECRET_KEY_FILE", "OMBUD_METRICS_TOKEN_FILE"):
        secret = tmp_path / Path(example[name]).name
        secret.write_text(subprocess.check_output([sys.executable, "-c", _MAKE_SECRET]).decode())
        example[name] = str(secret)
    example["OMBUD_DATABASE_URL"] = f"sqlite:///{tmp_path / 'ombud.sqlite3'}"
    example.pop("OMBUD_DATA_DIR")  # the test's own
    result = ombud("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **example)
    assert result.returncode == 0, result.stdout + result.stderr


_MAKE_SECRET = "import secrets; print(secrets.token_urlsafe(50))"


def test_the_example_settings_hold_no_secret():
    for name, value in _example_settings().items():
        assert not re.search(r"(KEY|TOKEN|PASSWORD|SECRET)$", name), name
        if "://" in value:  # a URL may name a user, never a password
            assert not urlsplit(value).password, name


def test_caddy_accepts_the_caddyfile(tmp_path):
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy is not installed here (scripts/test.sh installs Debian's)")
    result = subprocess.run(
        [caddy, "validate", "--adapter", "caddyfile", "--config", str(DEPLOY / "Caddyfile")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    formatted = subprocess.run(
        [caddy, "fmt", str(DEPLOY / "Caddyfile")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert formatted.stdout == (DEPLOY / "Caddyfile").read_text(), "caddy fmt would change it"


@pytest.mark.django_db
def test_the_alert_rules_ask_for_metrics_ombud_exports():
    import yaml  # noqa: PLC0415 -- only this test reads YAML

    from ombud.web import metrics  # noqa: PLC0415

    rules = yaml.safe_load((DEPLOY / "prometheus" / "ombud-alerts.yml").read_text())
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    wanted = {name for expr in expressions for name in re.findall(r"\bombud_\w+", expr)}
    exported = set(re.findall(r"^# TYPE (ombud_\w+) ", metrics.render(), re.MULTILINE))
    assert wanted
    assert wanted <= exported, wanted - exported
    assert any("ombud_outbox_oldest_due_age_seconds" in expr for expr in expressions)
