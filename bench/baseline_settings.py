"""Ombud's settings, unchanged, with the baseline view's URL added (see bench/baseline.py)."""

from ombud.settings import *  # noqa: F403

ROOT_URLCONF = "bench.baseline"
