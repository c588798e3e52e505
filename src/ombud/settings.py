"""Django settings for Ombud, read once from the environment (see ``ombud.conf``)."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from ombud import conf

PACKAGE_DIR = Path(__file__).resolve().parent

MODE = conf.mode()
DEMO_MODE = MODE == conf.DEMO
DATA_DIR = conf.data_dir()
BASE_URL, _base_host = conf.base_url()
# Plain http:// in production only when asked for by name (a closed network). Behind a
# TLS-terminating proxy the base URL is the proxy's https:// one.
ALLOW_INSECURE_HTTP = conf.env_bool("OMBUD_ALLOW_INSECURE_HTTP", False)
if not DEMO_MODE:
    conf.production_base_url(BASE_URL, allow_insecure_http=ALLOW_INSECURE_HTTP)

SECRET_KEY = conf.env_secret("OMBUD_SECRET_KEY")
if not SECRET_KEY:
    if not DEMO_MODE:
        raise ImproperlyConfigured(
            "OMBUD_SECRET_KEY is required in production mode. "
            f"Make one with: {conf.MAKE_SECRET_KEY}"
        )
    SECRET_KEY = conf.persistent_demo_secret(DATA_DIR, "django-secret-key")
if not DEMO_MODE:
    conf.production_secret_key(SECRET_KEY)

# Debug pages show request data; Ombud never renders them, in any mode.
DEBUG = False

ALLOWED_HOSTS = [_base_host]
if DEMO_MODE:
    ALLOWED_HOSTS += ["127.0.0.1", "localhost", "[::1]"]
ALLOWED_HOSTS += [h for h in conf.env_str("OMBUD_ALLOWED_HOSTS").split(",") if h.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ombud.web",
    "ombud.accounts",
    "ombud.audit",
    "ombud.vault",
    "ombud.events",
    "ombud.staff",
    "ombud.cases",
    "ombud.decisions",
    "ombud.intake",
    "ombud.notify",
    "ombud.api",
    "ombud.records",
    "ombud.attendees",
    "ombud.transparency",
    "ombud.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ombud.web.middleware.AccessLogMiddleware",
    "ombud.web.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ombud.web.i18n.LanguageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "ombud.accounts.middleware.SessionPolicyMiddleware",
    "ombud.cases.middleware.CaseDoorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "ombud.urls"
WSGI_APPLICATION = "ombud.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ombud.web.context_processors.ombud",
            ],
        },
    },
]

_database_url = conf.env_str("OMBUD_DATABASE_URL") or f"sqlite:///{DATA_DIR / 'ombud.sqlite3'}"
try:
    _database = dj_database_url.parse(_database_url, conn_max_age=600, conn_health_checks=True)
except ValueError as exc:
    raise ImproperlyConfigured(f"OMBUD_DATABASE_URL is not a database URL: {exc}") from None
if _database["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend, with writers queueing fairly (see ombud/db/sqlite3).
    _database["ENGINE"] = "ombud.db.sqlite3"
    _database["CONN_MAX_AGE"] = None
    _database["OPTIONS"] = {
        # WAL lets readers run beside the one writer; synchronous=FULL makes
        # a shown receipt durable across power loss, not only process crashes.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
            # A purge (ombud.records) leaves no shredded byte in freed pages: zeroed.
            "PRAGMA secure_delete=ON;"
        ),
        # Take the write lock at BEGIN, so two writers queue instead of
        # deadlocking on a read-to-write upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif _database["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("OMBUD_DATABASE_URL must be a sqlite:// or postgres:// URL.")
DATABASES = {"default": _database}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["ombud.accounts.backends.CertifiedPasswordBackend"]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 2 * 24 * 60 * 60
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "cases:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Absolute limit; the idle limit and sign-out-everywhere are in accounts.middleware.
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_IDLE_SECONDS = conf.env_int("OMBUD_SESSION_IDLE_MINUTES", 30, minimum=1) * 60
OTP_TOTP_ISSUER = "Ombud"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "ombud.intake.views.csrf_failure"
_https = BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = _https
CSRF_TRUSTED_ORIGINS = [BASE_URL]
if _https:
    SECURE_SSL_REDIRECT = conf.env_bool("OMBUD_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 63072000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Declares consent only; joining the preload list is a separate, manual step.
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Probes on the machine itself (systemd, a local Prometheus) ask over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
# Browsers send "Origin: null" on form posts under no-referrer, which CSRF checks must
# refuse; same-origin still sends nothing to any other site.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "connect-src": ["'self'"],
    },
}

# Bodies are small text; anything bigger is refused before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 300
# Attachments (reports and notes): held in memory only, never as an unencrypted temporary
# file, cut off past their limits (web.uploads) and sealed under the case key.
ATTACHMENT_MAX_FILES = 5
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_MAX_TOTAL_BYTES = 20 * 1024 * 1024
# A few more parts than files taken, so the form can say "up to 5" instead of a bare 400.
DATA_UPLOAD_MAX_NUMBER_FILES = ATTACHMENT_MAX_FILES * 4
FILE_UPLOAD_HANDLERS = ["ombud.web.uploads.BoundedMemoryUpload"]

LANGUAGE_CODE = "en"
# Each language is named in itself: a person looks for their own language's name.
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("es", "Español"),
    ("fr", "Français"),
    ("pt-br", "Português (Brasil)"),
    ("ja", "日本語"),
    ("ar", "العربية"),
]
LANGUAGES_BIDI = ["ar"]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["ombud.formats"]
USE_I18N = True
# The chosen language, and nothing else, is kept in this cookie (never in a report,
# a log line or an alert). A year: the same person comes back to next year's event.
LANGUAGE_COOKIE_NAME = "ombud_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Served straight from the package: no collectstatic step, nothing to go stale.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False
WHITENOISE_MAX_AGE = 24 * 60 * 60

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    }
}

_email_url = conf.env_str("OMBUD_EMAIL_URL")
if _email_url:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    globals().update(conf.email_settings(_email_url))
else:
    # Without a mail server the demo delivers to its own local SMTP sink,
    # which `ombud demo` starts; production must be told where mail goes.
    if not DEMO_MODE:
        raise ImproperlyConfigured("OMBUD_EMAIL_URL is required in production mode.")
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = conf.env_int("OMBUD_DEMO_SMTP_PORT", 8025, minimum=1)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = conf.env_str("OMBUD_EMAIL_FROM", "Ombud <ombud@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Nobody gets error e-mails: a traceback is no place for a report.
ADMINS = []
MANAGERS = []

RATE_LIMITS = conf.env_bool("OMBUD_RATE_LIMITS", True)
# Where rate-limit counts and the hotline's call state live (ombud.web.shared): the
# database on PostgreSQL, so every node counts alike (N nodes must not give a flooder
# N times the limit); each node's file cache on SQLite (one machine, one writer lock).
RATE_LIMIT_STORE = "database" if _database["ENGINE"].endswith("postgresql") else "cache"
# Webhook channels may point at loopback or private addresses (demo, tests, an
# intranet pager). Off in production unless asked for: no SSRF by configuration.
ALLOW_PRIVATE_WEBHOOKS = conf.env_bool("OMBUD_ALLOW_PRIVATE_WEBHOOKS", DEMO_MODE)
SMS_GATEWAY_URL = conf.env_str("OMBUD_SMS_GATEWAY_URL")
WORKER_MAX_BACKOFF = conf.env_int("OMBUD_WORKER_MAX_BACKOFF", 120, minimum=1)
# How long a worker's claim on a batch lasts: a killed worker's batch is retried after it.
WORKER_LEASE = conf.env_int("OMBUD_WORKER_LEASE", 300, minimum=5)
# Floods (cases.services.floods): reports in five minutes, times the event's usual rate,
# and near-identical reports in ten minutes that put an event in a flood.
FLOOD_REPORTS = conf.env_int("OMBUD_FLOOD_REPORTS", 50, minimum=2)
FLOOD_FACTOR = conf.env_int("OMBUD_FLOOD_FACTOR", 10, minimum=1)
FLOOD_DUPLICATES = conf.env_int("OMBUD_FLOOD_DUPLICATES", 10, minimum=2)
# Seconds of a person's alert window (notify.coalesce); a flood's windows are multiples.
ALERT_WINDOW = conf.env_int("OMBUD_ALERT_WINDOW", 60, minimum=1)
SMS_GATEWAY_TOKEN = conf.env_secret("OMBUD_SMS_GATEWAY_TOKEN")
# Reports by e-mail (docs/intake-channels.md): Ombud's own SMTP listener
# (`ombud mail-intake`) and the installation-wide mailbox it polls over IMAP.
INTAKE_SMTP = conf.env_str("OMBUD_INTAKE_SMTP", "127.0.0.1:8026" if DEMO_MODE else "")
INTAKE_IMAP_URL = conf.env_secret("OMBUD_INTAKE_IMAP_URL")
# Texts and calls from one number in an hour beyond which they are counted, not filed.
INTAKE_TEXTS_PER_SENDER_HOUR = 30
# A whole message larger than this is refused (552 at DATA: the sender's server tells
# the sender); the attachment limits below apply to the files in a smaller one.
INTAKE_MAIL_MAX_BYTES = 15 * 1024 * 1024
# More messages than this from one sender to one address in an hour are a flood.
INTAKE_MAIL_PER_SENDER_HOUR = 20
# How often a mailbox is checked when its server does not offer IDLE (and how long
# one IDLE lasts before it is renewed).
INTAKE_IMAP_POLL_SECONDS = 60
# Where Twilio's REST API is (a test points it at a fake provider on loopback).
TWILIO_API_URL = conf.env_str("OMBUD_TWILIO_API_URL", "https://api.twilio.com")
# Whom `ombud backup create` encrypts to: age recipients (age1…), comma-separated.
BACKUP_RECIPIENTS = conf.env_str("OMBUD_BACKUP_RECIPIENTS")
# How many proxies in front of Ombud append to X-Forwarded-For (0: none, use the peer).
TRUSTED_PROXIES = conf.env_int("OMBUD_TRUSTED_PROXIES", 0)

# Where the vault's server keys live: outside the database, in a file.
VAULT_KEY_FILE = Path(conf.env_str("OMBUD_VAULT_KEY_FILE") or DATA_DIR / "keys" / "vault-keys.json")

# Operations (docs/deploy.md): log lines as text or JSON objects; /metrics behind a token.
LOG_FORMAT = conf.log_format()
METRICS_TOKEN = conf.metrics_token()
# Reports received per event on /metrics: off unless the operator turns it on, since an
# event's count can tell whoever reads the metrics how its week went.
METRICS_PER_EVENT = conf.env_bool("OMBUD_METRICS_PER_EVENT", False)

DEFAULT_EXCEPTION_REPORTER_FILTER = "ombud.web.errors.ConfidentialExceptionReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "()": "ombud.web.errors.RedactingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "ombud.web.logformat.JsonFormatter"},
    },
    "handlers": {
        "null": {"class": "logging.NullHandler"},
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        },
    },
    "root": {"handlers": ["stdout"], "level": conf.env_str("OMBUD_LOG_LEVEL", "INFO").upper()},
    "loggers": {
        # Django's request logger attaches the request; ours drops it.
        "django.request": {"handlers": ["stdout"], "level": "ERROR", "propagate": False},
        # Scanners probing with made-up Host headers are not news.
        "django.security.DisallowedHost": {"handlers": ["null"], "propagate": False},
        "mail.log": {"level": "WARNING"},
        # It logs request URLs, and webhook URLs are secrets (notify/channels/http.py).
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

NINJA_PAGINATION_PER_PAGE = 50
