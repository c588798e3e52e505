"""The baseline's WSGI application, for gunicorn (bench/run.py starts it)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.baseline_settings")
application = get_wsgi_application()
