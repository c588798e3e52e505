"""Typed readers for Ombud's environment configuration.

Every setting comes from an ``OMBUD_*`` variable with a safe demo default.
Invalid values stop the process at start with a message naming the variable,
never later in a request.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

DEMO = "demo"
PRODUCTION = "production"

# Django's own deployment check (security.W009) wants at least this many characters.
SECRET_KEY_MIN_LENGTH = 50
MAKE_SECRET_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(50))"'

_TRUE = {"1", "on", "true", "yes"}
_FALSE = {"0", "off", "false", "no"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name).lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be on or off, not {raw!r}.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}.")
    return value


def env_secret(name: str) -> str:
    """A secret from ``NAME`` or from the file named by ``NAME_FILE``."""
    path = env_str(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE cannot be read: {exc.strerror}.") from None
    return env_str(name)


def mode() -> str:
    value = env_str("OMBUD_MODE", DEMO).lower()
    if value not in {DEMO, PRODUCTION}:
        raise ImproperlyConfigured(f"OMBUD_MODE must be demo or production, not {value!r}.")
    return value


def data_dir() -> Path:
    path = Path(env_str("OMBUD_DATA_DIR") or "ombud-data").expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    (path / "tmp").mkdir(exist_ok=True, mode=0o700)
    return path


def persistent_demo_secret(directory: Path, name: str) -> str:
    """A random secret kept in the data directory, for demo mode only.

    Production never comes here: it must be given its secrets explicitly.
    """
    keys = directory / "keys"
    keys.mkdir(exist_ok=True, mode=0o700)
    path = keys / name
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        value = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value)
        return value


def email_settings(url: str) -> dict:
    """Django e-mail settings from ``smtp://user:password@host:port?tls=1``."""
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"}:
        raise ImproperlyConfigured("OMBUD_EMAIL_URL must start with smtp:// or smtps://.")
    if not parts.hostname:
        raise ImproperlyConfigured("OMBUD_EMAIL_URL must name a host.")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    try:
        port = parts.port
    except ValueError:
        raise ImproperlyConfigured("OMBUD_EMAIL_URL has an invalid port.") from None
    use_ssl = parts.scheme == "smtps" or query.get("ssl", "").lower() in _TRUE
    return {
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if use_ssl else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": query.get("tls", "").lower() in _TRUE,
        "EMAIL_USE_SSL": use_ssl,
    }


def base_url() -> tuple[str, str]:
    """The public base URL without a trailing slash, and its host name."""
    url = env_str("OMBUD_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ImproperlyConfigured("OMBUD_BASE_URL must be an http:// or https:// URL.")
    return url, parts.hostname


def production_secret_key(value: str) -> str:
    """The secret key, if it can serve in production; otherwise a refusal that says
    what is wrong with it (never the key itself) and how to make a good one."""
    if len(value) < SECRET_KEY_MIN_LENGTH:
        problem = "this one is shorter"
    elif len(set(value)) < 5:
        problem = "this one has fewer than 5 different characters"
    elif "demo" in value.lower():
        problem = 'this one contains "demo"'
    elif value.startswith("django-insecure-"):
        problem = "this one is a Django development key, django-insecure-..."
    else:
        return value
    raise ImproperlyConfigured(
        f"OMBUD_SECRET_KEY must be a random value of at least {SECRET_KEY_MIN_LENGTH} "
        f"characters in production mode ({problem}). Make one with: {MAKE_SECRET_KEY}"
    )


def production_base_url(url: str, *, allow_insecure_http: bool) -> str:
    """The base URL, if production may serve it: https://, or http:// when asked for."""
    if url.startswith("https://") or allow_insecure_http:
        return url
    raise ImproperlyConfigured(
        "OMBUD_BASE_URL must be an https:// URL in production mode: over http:// passwords, "
        "sessions and receipts cross the network readable by anyone on it. Behind a proxy "
        "that terminates TLS, give the proxy's https:// URL. To serve plain HTTP anyway "
        "(a closed network), set OMBUD_ALLOW_INSECURE_HTTP=1."
    )


LOG_FORMATS = ("text", "json")
# A bearer token shorter than this could be guessed; make one with secrets.token_urlsafe(32).
METRICS_TOKEN_MIN_LENGTH = 32


def log_format() -> str:
    """``OMBUD_LOG_FORMAT``: ``text`` (one readable line) or ``json`` (one object a line)."""
    value = env_str("OMBUD_LOG_FORMAT", "text").lower()
    if value not in LOG_FORMATS:
        raise ImproperlyConfigured(f"OMBUD_LOG_FORMAT must be text or json, not {value!r}.")
    return value


def metrics_token() -> str:
    """``OMBUD_METRICS_TOKEN`` (or ``_FILE``); empty means ``/metrics`` is off."""
    value = env_secret("OMBUD_METRICS_TOKEN")
    if value and len(value) < METRICS_TOKEN_MIN_LENGTH:
        raise ImproperlyConfigured(
            f"OMBUD_METRICS_TOKEN must be at least {METRICS_TOKEN_MIN_LENGTH} characters. "
            'Make one with: python -c "import secrets; print(secrets.token_urlsafe(32))"'
        )
    return value
