"""Configuration comes only from OMBUD_* variables; production refuses unsafe values."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from ombud import conf

GOOD_SECRET = "k" * 20 + "Zq8-2mX0pL4vR7tY1wE9sA3dF6gH5jK"


def ombud(*args, tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OMBUD_", "DJANGO_"))}
    clean.update({"OMBUD_DATA_DIR": str(tmp_path / "data")}, **env)
    return subprocess.run(
        [sys.executable, "-m", "ombud", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _production(**extra):
    return {
        "OMBUD_MODE": "production",
        "OMBUD_SECRET_KEY": GOOD_SECRET,
        "OMBUD_EMAIL_URL": "smtp://mail.example.org:587?tls=1",
        "OMBUD_BASE_URL": "https://ombud.example.org",
        **extra,
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OMBUD_SECRET_KEY": ""}, "OMBUD_SECRET_KEY is required in production mode"),
        ({"OMBUD_SECRET_KEY": "demo" * 12}, "must be a random value"),
        ({"OMBUD_SECRET_KEY": "short"}, "must be a random value"),
        # Django's deployment check wants 50: 49 random characters are refused.
        ({"OMBUD_SECRET_KEY": GOOD_SECRET[:49]}, "(this one is shorter)"),
        ({"OMBUD_SECRET_KEY": "a" * 50}, "fewer than 5 different characters"),
        ({"OMBUD_SECRET_KEY": "abcd" * 20}, "fewer than 5 different characters"),
        ({"OMBUD_SECRET_KEY": GOOD_SECRET + "Demo"}, 'contains "demo"'),
        ({"OMBUD_SECRET_KEY": "django-insecure-" + GOOD_SECRET}, "Django development key"),
        ({"OMBUD_SECRET_KEY": "a" * 50}, "secrets.token_urlsafe(50)"),
        ({"OMBUD_SECRET_KEY": ""}, "secrets.token_urlsafe(50)"),
        ({"OMBUD_BASE_URL": "http://ombud.example.org"}, "must be an https:// URL"),
        ({"OMBUD_BASE_URL": "http://ombud.example.org"}, "OMBUD_ALLOW_INSECURE_HTTP=1"),
        (
            {"OMBUD_BASE_URL": "http://ombud.example.org", "OMBUD_ALLOW_INSECURE_HTTP": "0"},
            "must be an https:// URL",
        ),
        ({"OMBUD_ALLOW_INSECURE_HTTP": "perhaps"}, "OMBUD_ALLOW_INSECURE_HTTP must be on or off"),
        ({"OMBUD_EMAIL_URL": ""}, "OMBUD_EMAIL_URL is required in production mode"),
        ({"OMBUD_EMAIL_URL": "http://x"}, "must start with smtp://"),
        ({"OMBUD_MODE": "staging"}, "OMBUD_MODE must be demo or production"),
        ({"OMBUD_RATE_LIMITS": "sometimes"}, "OMBUD_RATE_LIMITS must be on or off"),
        ({"OMBUD_METRICS_PER_EVENT": "maybe"}, "OMBUD_METRICS_PER_EVENT must be on or off"),
        ({"OMBUD_DATABASE_URL": "mysql://x/y"}, "must be a sqlite:// or postgres:// URL"),
        ({"OMBUD_BASE_URL": "ftp://x"}, "OMBUD_BASE_URL must be an http:// or https:// URL"),
    ],
)
def test_unsafe_or_invalid_configuration_refuses_to_start(tmp_path, env, message):
    result = ombud("check", tmp_path=tmp_path, **_production(**env))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_refused_secret_key_is_never_repeated_in_the_message(tmp_path):
    weak = "django-insecure-" + GOOD_SECRET
    result = ombud("check", tmp_path=tmp_path, **_production(OMBUD_SECRET_KEY=weak))
    assert result.returncode == 2
    assert GOOD_SECRET not in result.stderr + result.stdout


def test_production_serves_http_only_when_asked_to_by_name(tmp_path):
    # A closed network without TLS: the operator says so by name.
    code = "from django.conf import settings; print(settings.BASE_URL)"
    result = ombud(
        "shell",
        "-c",
        code,
        tmp_path=tmp_path,
        **_production(OMBUD_BASE_URL="http://ombud.example.org", OMBUD_ALLOW_INSECURE_HTTP="1"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "http://ombud.example.org"


def test_the_secret_key_the_refusal_suggests_passes_the_deployment_checks(tmp_path):
    import secrets  # noqa: PLC0415

    made = secrets.token_urlsafe(50)  # what the refusal tells people to run
    result = ombud(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        **_production(OMBUD_SECRET_KEY=made),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_passes_the_deployment_checks(tmp_path):
    result = ombud(
        "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **_production()
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_serve_refuses_without_the_vault_key_file(tmp_path):
    result = ombud("serve", tmp_path=tmp_path, **_production())
    assert result.returncode == 1
    assert "key file is missing" in result.stderr
    init = ombud("keys", "init", tmp_path=tmp_path, **_production())
    assert "Back it up now" in init.stdout
    again = ombud("keys", "init", tmp_path=tmp_path, **_production())
    assert again.returncode == 1
    assert "Nothing was changed" in again.stderr


def test_production_hashes_passwords_with_argon2(tmp_path):
    code = "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"
    result = ombud("shell", "-c", code, tmp_path=tmp_path, **_production())
    hasher = result.stdout.strip().splitlines()[-1]
    assert hasher == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_demo_mode_keeps_its_generated_secret_between_starts(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = ombud("shell", "-c", code, tmp_path=tmp_path).stdout.splitlines()[-1]
    second = ombud("shell", "-c", code, tmp_path=tmp_path).stdout.splitlines()[-1]
    assert first == second
    assert len(first.strip()) >= 50


def test_email_url_parsing():
    parsed = conf.email_settings("smtp://user%40x:p%2Fw@mail.example.org:2525?tls=1")
    assert parsed == {
        "EMAIL_HOST": "mail.example.org",
        "EMAIL_PORT": 2525,
        "EMAIL_HOST_USER": "user@x",
        "EMAIL_HOST_PASSWORD": "p/w",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
    }
    assert conf.email_settings("smtps://mail.example.org")["EMAIL_PORT"] == 465
    with pytest.raises(ImproperlyConfigured):
        conf.email_settings("smtp://mail.example.org:notaport")
    with pytest.raises(ImproperlyConfigured):
        conf.email_settings("smtp:///nohost")


def test_bare_ombud_prints_its_commands(tmp_path):
    result = ombud(tmp_path=tmp_path)
    assert result.returncode == 0
    assert "ombud demo" in result.stdout
    assert "ombud audit verify" in result.stdout
