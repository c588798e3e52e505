"""Ombud's settings (its apps, models and database configuration) for the bare baseline
view (bench/baseline.py): no middleware, only the baseline's URLs."""

from ombud.settings import *  # noqa: F403

ROOT_URLCONF = "bench.baseline"
MIDDLEWARE = []
