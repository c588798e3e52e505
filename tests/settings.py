"""Test settings: Ombud's own settings, read from a throwaway data directory."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("OMBUD_MODE", "demo")
os.environ["OMBUD_DATA_DIR"] = _DATA_DIR = tempfile.mkdtemp(prefix="ombud-test-")
os.environ.setdefault("OMBUD_BASE_URL", "http://testserver")

from ombud.settings import *  # noqa: F403

_OWNER = os.getpid()


def remove_data_dir():
    # Its test keys go with the process that made it, not with a child forked from it.
    if os.getpid() == _OWNER:
        shutil.rmtree(_DATA_DIR, ignore_errors=True)


atexit.register(remove_data_dir)

# Argon2 is checked in tests of the production settings; elsewhere it would
# only slow every sign-in down.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
if DATABASES["default"]["ENGINE"] == "ombud.db.sqlite3":  # noqa: F405
    # In memory, one per test process (pytest-django only recognises Django's own engine).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}  # noqa: F405

# Argon2id as cheap as it goes for the many test sign-ins; production uses RFC 9106's.
VAULT_KDF = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
