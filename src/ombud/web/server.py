"""Serving Ombud with gunicorn, the same way in the demo and in production."""

import gc
import logging
import os

from django.conf import settings
from django.db import connections
from gunicorn import glogging
from gunicorn.app.base import BaseApplication

from ombud.web import requeststats
from ombud.web.logformat import JsonFormatter


class OmbudServer(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings:  # older gunicorns lack some (the control socket)
                self.cfg.set(key, value)

    def load(self):
        from ombud.wsgi import application  # noqa: PLC0415 -- loaded once settings are final

        # Everything loaded so far lives as long as the process: out of the collector's
        # way, full collections in a worker only walk what its requests made (and the
        # workers forked from here keep sharing those pages).
        gc.collect()
        gc.freeze()
        return application


class GunicornLogger(glogging.Logger):
    """gunicorn's own lines (starting, booting a worker) in Ombud's log format."""

    def setup(self, cfg):
        super().setup(cfg)
        if settings.LOG_FORMAT == "json":
            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())


def default_workers() -> int:
    return max(2, (os.cpu_count() or 1))


# One thread per process: a thread holding SQLite's write lock never waits for the GIL
# behind its siblings. Each process takes one connection beyond the one it serves
# (worker_connections): a busy process does not hoard the queue while the other idles
# (bench.run, 2 workers, 2026-12-03: gthread as gunicorn's default of 1,000 connections
# 126 reports/s; sync 178/s; gthread with 2 connections 189/s). Unlike sync workers,
# gthread sets aside a connection that sends nothing (a browser's preconnect) after a few
# seconds instead of blocking on it. Closing connections after each response spreads
# load over the processes. Slow clients are for the buffering proxy in front.
def serve(
    *,
    host: str,
    port: int,
    workers: int | None = None,
    threads: int = 1,
    keepalive: int = 0,
    access_log: bool = True,
) -> None:
    # Connections opened before the fork (migrate, seed) must not be shared by workers.
    connections.close_all()
    # /metrics counts this server's requests from its start (web.requeststats).
    requeststats.clear()
    if not access_log:
        logging.getLogger("ombud.access").setLevel(logging.WARNING)
    OmbudServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers or default_workers(),
            "worker_class": "gthread",
            # Idle keep-alive connections count too: with keep-alive, gunicorn's default.
            "worker_connections": threads + 1 if not keepalive else 1000,
            "threads": threads,
            "preload_app": True,
            "timeout": 30,
            "graceful_timeout": 10,
            "keepalive": keepalive,
            # Ombud logs requests itself (web.middleware.AccessLogMiddleware), without
            # client addresses, sizes or secret path segments.
            "accesslog": None,
            "errorlog": "-",
            "logger_class": GunicornLogger,
            "proc_name": "ombud",
            # Nothing outside the data directory: no control socket in $HOME.
            "control_socket_disable": True,
            "limit_request_line": 4096,
            "limit_request_fields": 100,
            "limit_request_field_size": 8190,
        }
    ).run()
