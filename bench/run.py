"""Ombud's benchmark harness (`make bench`): the quality bars of DESIGN §8.

It starts Ombud the way production runs it - `ombud serve` (gunicorn) and
`ombud worker` on a fresh data directory with the embedded SQLite database at full
durability, alerts delivered over SMTP to a sink run here - and measures:

1. report page weight: Chromium through Playwright, JavaScript off;
2. alert latency at a busy but ordinary pace: 24 different reports, one every 8 s
   (a flood groups alerts on purpose: bench.flood measures that), from each POST's
   response to the first alert e-mail for its case accepted by the SMTP sink;
3. submission throughput and latency: wrk, 32 connections, 5 s warm-up then 20 s
   measured, a distinct report per request (bench/submit.lua);
4. the same load against a bare Django view that writes one report row and one
   outbox row and delivers nothing (bench/baseline.py), under gunicorn with 4 sync
   workers, in the same run.

It prints a summary, writes bench/results/latest.json and exits non-zero when a
target is missed. See bench/README.md for the method.
"""

import argparse
import base64
import contextlib
import email
import email.policy
import http.client
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django_otp.oath import totp

from ombud.demo.mailsink import LoopbackSMTPServer

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
VENV_BIN = ROOT / ".venv" / "bin"
RESULTS = BENCH_DIR / "results" / "latest.json"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EVENT = "pycon-demo"
# The demo users' second factor, so the bench can ask for an API token as a script would.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SUBMIT_PATH = f"/api/v1/events/{EVENT}/reports"
BASELINE_PATH = f"/bench/baseline/events/{EVENT}/reports"
BASELINE_WORKERS = 4
REPORT_PAGE = f"/e/{EVENT}/report/"
CASE_LINK = re.compile(rb"/staff/cases/([0-9a-f-]{36})/")

TARGETS = {
    "submit_rps": (">=", 300.0),
    "submit_p99_ms": ("<=", 250.0),
    "baseline_ratio": (">=", 0.30),
    "page_bytes": ("<=", 30 * 1024),
    "page_requests": ("<=", 3),
    "page_third_party_requests": ("<=", 0),
    "alert_p50_s": ("<=", 0.5),
    "alert_p99_s": ("<=", 2.0),
}


class BenchError(Exception):
    """The benchmark could not be run (as opposed to a target being missed)."""


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values, pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


# --- CPU accounting: how busy the machine was, and how much of it was not us ----------

_TICKS = os.sysconf("SC_CLK_TCK")


def _machine_ticks() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal
    return total - idle, total


def _process_table() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, utime + stime ticks, command name) for every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                raw = stat.read()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        rest = raw[raw.rindex(")") + 2 :].split()
        table[int(entry)] = (int(rest[1]), int(rest[11]) + int(rest[12]), name)
    return table


def _descendants(table, root: int) -> set[int]:
    found = {root}
    changed = True
    while changed:
        changed = False
        for pid, (parent, _ticks, _name) in table.items():
            if parent in found and pid not in found:
                found.add(pid)
                changed = True
    return found


class CpuMeter:
    """Machine-wide busy CPU during a phase, split into this benchmark's processes and
    others, with the benchmark's share per process (labelled by what started it)."""

    def __init__(self, processes: "Processes | None" = None):
        self.processes = processes
        self.start = time.monotonic()
        self.busy0, self.total0 = _machine_ticks()
        self.table0 = _process_table()
        self.children0 = self._reaped()

    @staticmethod
    def _reaped() -> float:
        times = os.times()
        return times.children_user + times.children_system

    def _labels(self, table) -> dict[int, str]:
        labels = {}
        for name, process in (self.processes.running if self.processes else {}).items():
            for pid in _descendants(table, process.pid):
                labels[pid] = name if pid == process.pid else f"{name}/{pid}"
        return labels

    def stop(self) -> dict:
        seconds = time.monotonic() - self.start
        busy1, total1 = _machine_ticks()
        table1 = _process_table()
        ours = _descendants(table1, os.getpid()) | _descendants(self.table0, os.getpid())
        labels = self._labels(table1)
        per_process = {}
        for pid in ours:
            if pid not in table1:
                continue
            before = self.table0.get(pid, (0, 0, ""))[1]
            used = (table1[pid][1] - before) / _TICKS
            label = "harness" if pid == os.getpid() else labels.get(pid, table1[pid][2])
            per_process[label] = per_process.get(label, 0.0) + used
        reaped = self._reaped() - self.children0  # wrk and other finished children
        if reaped:
            per_process["wrk/exited"] = per_process.get("wrk/exited", 0.0) + reaped
        ours_seconds = sum(per_process.values())
        busy = (busy1 - self.busy0) / _TICKS
        cores = (total1 - self.total0) / _TICKS / seconds if seconds else 0
        return {
            "seconds": round(seconds, 1),
            "cores_seen": round(cores, 2),
            "busy_pct": round(100 * busy / seconds, 1),
            "bench_pct": round(100 * ours_seconds / seconds, 1),
            "other_pct": round(100 * max(0.0, busy - ours_seconds) / seconds, 1),
            "per_process_pct": {
                k: round(100 * v / seconds, 1)
                for k, v in sorted(per_process.items(), key=lambda kv: -kv[1])
                if v / seconds >= 0.005
            },
        }


# --- SMTP sink --------------------------------------------------------------------------


class MailSink(LoopbackSMTPServer):
    """Counts every message and, while capturing, keeps its arrival time (monotonic
    clock, same as the submissions') and raw bytes."""

    def __init__(self):
        super().__init__()
        self.count = 0
        self.captured = []
        self.capturing = False
        self.last_arrival = 0.0
        self._lock = threading.Lock()

    def accept(self, envelope) -> None:
        now = time.monotonic()
        with self._lock:
            self.count += 1
            self.last_arrival = now
            if self.capturing:
                self.captured.append((now, envelope.original_content))

    def begin_capture(self) -> None:
        with self._lock:
            self.captured.clear()
            self.capturing = True

    def progress(self) -> tuple[int, float]:
        """Messages captured so far, and when the last message of any kind arrived."""
        with self._lock:
            return len(self.captured), self.last_arrival

    def end_capture(self) -> list:
        with self._lock:
            self.capturing = False
            return list(self.captured)


# --- Processes --------------------------------------------------------------------------


class Processes:
    """Children in their own process groups, logging to files; all stopped at the end."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.running: dict[str, subprocess.Popen] = {}

    def run(self, name: str, argv: list[str], env: dict, timeout: float = 120) -> str:
        log_path = self.logs / f"{name}.log"
        with log_path.open("wb") as out:
            done = subprocess.run(
                argv,
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        if done.returncode != 0:
            raise BenchError(f"{name} failed ({done.returncode}):\n{self.tail(name)}")
        return log_path.read_text(errors="replace")

    def start(self, name: str, argv: list[str], env: dict) -> subprocess.Popen:
        out = (self.logs / f"{name}.log").open("wb")
        try:
            process = subprocess.Popen(
                argv,
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            out.close()
        self.running[name] = process
        return process

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.logs / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self, name: str) -> None:
        process = self.running.pop(name, None)
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)

    def check_alive(self) -> None:
        for name, process in self.running.items():
            if process.poll() is not None:
                raise BenchError(f"{name} exited ({process.returncode}):\n{self.tail(name)}")


def wait_ready(processes: Processes, name: str, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check_alive()
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise BenchError(f"{name} was not ready at {url} after {timeout:.0f}s:\n{processes.tail(name)}")


@dataclass
class Site:
    """One served copy of Ombud (or of the baseline) with its own data directory."""

    name: str
    data_dir: Path
    port: int
    env: dict

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def site_env(data_dir: Path, port: int, sink: MailSink, password: str, src: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OMBUD_", "DJANGO_")) and k != "PYTHONPATH"
    }
    env.update(
        {
            "OMBUD_MODE": "demo",
            "OMBUD_DATA_DIR": str(data_dir),
            "OMBUD_RATE_LIMITS": "off",
            "OMBUD_EMAIL_URL": sink.url,
            "OMBUD_DEMO_PASSWORD": password,
            "OMBUD_DEMO_TOTP_SECRET": TOTP_SECRET,
            "OMBUD_BASE_URL": f"http://127.0.0.1:{port}",
            "OMBUD_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    # The baseline's settings and view live in bench/, importable from the repository root.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, str(ROOT)) if p)
    return env


def start_site(
    processes: Processes,
    site: Site,
    *,
    prepare: str = "",
    serve_args: tuple = (),
    worker: bool = True,
) -> None:
    ombud = str(VENV_BIN / "ombud")
    processes.run(f"{site.name}-seed", [ombud, "demo", "--no-serve"], site.env)
    if prepare:
        processes.run(f"{site.name}-prepare", [ombud, "shell", "-c", prepare], site.env)
    processes.start(
        f"{site.name}-server",
        [ombud, "serve", "--port", str(site.port), "--no-access-log", *serve_args],
        site.env,
    )
    if worker:
        processes.start(f"{site.name}-worker", [ombud, "worker", "--exit-with-parent"], site.env)
    wait_ready(processes, f"{site.name}-server", f"{site.base}/e/{EVENT}/")


def start_baseline(processes: Processes, site: Site) -> None:
    """The bare view as the simplest Django deployment runs it: gunicorn's sync workers,
    no middleware, nothing delivering its outbox rows."""
    ombud = str(VENV_BIN / "ombud")
    processes.run(f"{site.name}-seed", [ombud, "demo", "--no-serve"], site.env)
    prepare = "from bench.baseline import prepare; prepare()"
    processes.run(f"{site.name}-prepare", [ombud, "shell", "-c", prepare], site.env)
    processes.start(
        f"{site.name}-server",
        [
            str(VENV_BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{site.port}",
            "--workers",
            str(BASELINE_WORKERS),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
            "bench.baseline_wsgi:application",
        ],
        site.env,
    )
    wait_ready(processes, f"{site.name}-server", f"{site.base}/bench/baseline/ready")


# --- 1. Report page weight --------------------------------------------------------------


def _keeper(into: list):
    """An event handler appending to a list (Playwright wants a plain function)."""

    def keep(item) -> None:
        into.append(item)

    return keep


def measure_page(site: Site) -> dict:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 -- only this phase needs it

    url = site.base + REPORT_PAGE
    origin = site.base
    requests, finished, failed = [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(java_script_enabled=False)
            context.on("request", _keeper(requests))
            context.on("requestfinished", _keeper(finished))
            context.on("requestfailed", _keeper(failed))
            page = context.new_page()
            response = page.goto(url, wait_until="networkidle")
            status = response.status if response else None
            form_ok = page.locator("form textarea[name=what_happened]").count() == 1
            rows = []
            for request in finished:
                sizes = request.sizes()
                rows.append(
                    {
                        "url": request.url,
                        "status": request.response().status if request.response() else None,
                        "bytes": sizes["responseHeadersSize"] + sizes["responseBodySize"],
                    }
                )
            context.close()
        finally:
            browser.close()
    network = [r for r in requests if not r.url.startswith(("data:", "blob:"))]
    third_party = [
        r.url for r in network if not (r.url == origin or r.url.startswith(origin + "/"))
    ]
    return {
        "url": url,
        "origin": origin,
        "status": status,
        "form_without_js": form_ok,
        "requests": len(network),
        "failed": [r.url for r in failed],
        "third_party": third_party,
        "bytes": sum(r["bytes"] for r in rows),
        "resources": rows,
    }


# --- 2. Alert latency -------------------------------------------------------------------


# Words for reports unlike each other: near-identical ones would be a flood (cases.floods).
_WORDS = (
    "speaker hallway badge coffee stage lunch sponsor booth keynote workshop queue elevator "
    "door photo comment joke slide question laptop party bus hotel lobby stairs garden "
    "register volunteer microphone poster river"
).split()


def _report_body(label: str, n: int) -> bytes:
    words = " ".join(secrets.choice(_WORDS) for _ in range(16))
    return json.dumps(
        {
            "what_happened": f"Alert benchmark {label}-{n}: {words}.",
            "where": "Hall B",
            "reporter_relation": "witness",
            "law_enforcement": "no",
        }
    ).encode()


def _call(conn: http.client.HTTPConnection, method: str, path: str, body=None, headers=None):
    conn.request(method, path, body=body, headers={"Accept": "application/json", **(headers or {})})
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def demo_otp() -> str:
    """The code the demo users' authenticator shows now (django-otp's own TOTP)."""
    return f"{totp(base64.b32decode(TOTP_SECRET)):06d}"


def _case_ids(site: Site, password: str, report_ids: list[str]) -> dict[str, str]:
    """Each report's case, read through the chair's API token, after the measurement."""
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=30)
    try:
        status, data = _call(
            conn,
            "POST",
            "/api/v1/auth/token",
            json.dumps({"username": "chair", "password": password, "otp": demo_otp()}),
            {"Content-Type": "application/json"},
        )
        if status != 200:
            raise BenchError(f"chair could not get an API token: {status} {data[:200]!r}")
        auth = {"Authorization": f"Bearer {json.loads(data)['token']}"}
        status, data = _call(conn, "GET", "/api/v1/reports", headers=auth)
        if status != 200:
            raise BenchError(f"GET /api/v1/reports answered {status}")
        cases = {row["id"]: row["case_id"] for row in json.loads(data)}
        for report_id in report_ids:
            if report_id not in cases:  # beyond the list's page: ask for it alone
                status, data = _call(conn, "GET", f"/api/v1/reports/{report_id}", headers=auth)
                # 409: the chair has not declared on the case yet; the answer names it.
                if status in {200, 409}:
                    cases[report_id] = json.loads(data)["case_id"]
        return cases
    finally:
        conn.close()


def measure_alerts(
    site: Site, sink: MailSink, password: str, processes: Processes, *, count: int, rate: float
) -> dict:
    label = secrets.token_hex(3)
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=30)
    submitted, bad = [], []
    sink.begin_capture()
    meter = CpuMeter(processes)
    start = time.monotonic()
    try:
        for n in range(count):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            status, data = _call(
                conn,
                "POST",
                SUBMIT_PATH,
                _report_body(label, n),
                {"Content-Type": "application/json"},
            )
            answered = time.monotonic()
            if status != 201:
                bad.append(status)
                continue
            submitted.append((json.loads(data)["report_id"], answered))
    finally:
        conn.close()
    sent_at = time.monotonic()
    sending_seconds = sent_at - start
    # Delivery is done once the sink has been quiet for 2 s since the last submission and
    # the last mail, with at least one mail per report (30 s at most). Quiet since the last
    # mail alone would not do: at this pace the previous report's mails are 8 s old.
    deadline = sent_at + 30
    while time.monotonic() < deadline:
        got, last = sink.progress()
        if got >= len(submitted) and time.monotonic() - max(last, sent_at) > 2:
            break
        time.sleep(0.2)
    cpu = meter.stop()
    mails = sink.end_capture()
    cases = _case_ids(site, password, [r for r, _t in submitted])
    arrivals: dict[str, list[float]] = {}
    for arrived, raw in mails:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",)).get_content().encode()
        found = CASE_LINK.search(body)
        if found:
            arrivals.setdefault(found.group(1).decode(), []).append(arrived)
    first, last_mail, per_report, missing = [], [], [], 0
    for report_id, answered in submitted:
        times = arrivals.get(cases.get(report_id, ""), [])
        if not times:
            missing += 1
            continue
        first.append(min(times) - answered)
        last_mail.append(max(times) - answered)
        per_report.append(len(times))
    return {
        "reports": count,
        "rate_per_s": rate,
        "sending_seconds": round(sending_seconds, 2),
        "non_201": len(bad),
        "non_201_statuses": sorted(set(bad)),
        "mails": len(mails),
        "mails_per_report": sorted(set(per_report)),
        "reports_without_alert": missing,
        "first_alert_p50_s": round(percentile(first, 50), 3),
        "first_alert_p99_s": round(percentile(first, 99), 3),
        "first_alert_max_s": round(max(first), 3) if first else math.nan,
        "last_alert_p50_s": round(percentile(last_mail, 50), 3),
        "last_alert_p99_s": round(percentile(last_mail, 99), 3),
        "cpu": cpu,
    }


# --- 3 and 4. Submission load with wrk --------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise BenchError("wrk is not installed (apt-get install wrk)")
    log("installing wrk from Debian")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"]
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
        subprocess.run(install, env=env, check=True)
    found = shutil.which("wrk")
    if not found:
        raise BenchError("wrk could not be installed")
    return found


def run_wrk(wrk: str, url: str, *, seconds: int, connections: int, threads: int, nonce: str):
    argv = [
        wrk,
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(BENCH_DIR / "submit.lua"),
        url,
    ]
    done = subprocess.run(
        argv,
        env={**os.environ, "BENCH_NONCE": nonce},
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("BENCH_JSON "))
    seconds_run = result["duration_us"] / 1e6
    statuses = {int(k): v for k, v in result["statuses"].items()}
    errors = result["errors"]
    return {
        "seconds": round(seconds_run, 2),
        "requests": result["requests"],
        "rps": round(result["requests"] / seconds_run, 1),
        "p50_ms": round(result["latency_us"]["p50"] / 1000, 1),
        "p90_ms": round(result["latency_us"]["p90"] / 1000, 1),
        "p99_ms": round(result["latency_us"]["p99"] / 1000, 1),
        "max_ms": round(result["latency_us"]["max"] / 1000, 1),
        "statuses": statuses,
        "non_201": sum(n for status, n in statuses.items() if status != 201),
        "socket_errors": errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
        "errors": errors,
    }


def wait_for_quiet(processes: Processes, budget: float, threshold: float = 25.0) -> dict:
    """Wait (at most ``budget`` seconds) for a second in which processes other than this
    benchmark's use less than ``threshold`` % CPU; the machine may be shared."""
    deadline = time.monotonic() + budget
    waited = time.monotonic()
    while True:
        meter = CpuMeter(processes)
        time.sleep(1)
        other = meter.stop()["other_pct"]
        if other < threshold or time.monotonic() >= deadline:
            return {"waited_s": round(time.monotonic() - waited, 1), "other_pct": other}


@dataclass
class Harness:
    """What every phase needs: the options, the children, the SMTP sink and wrk."""

    args: argparse.Namespace
    processes: Processes
    sink: MailSink
    wrk: str = ""


def load(harness: Harness, site: Site, path: str) -> dict:
    args, processes, sink, wrk = harness.args, harness.processes, harness.sink, harness.wrk
    url = site.base + path
    quiet = wait_for_quiet(processes, args.quiet_wait)
    if quiet["other_pct"] >= 25:
        log(f"other processes still use {quiet['other_pct']}% CPU; measuring anyway")
    log(f"{site.name}: warm-up {args.warmup}s at {args.connections} connections")
    warmup = run_wrk(
        wrk,
        url,
        seconds=args.warmup,
        connections=args.connections,
        threads=args.wrk_threads,
        nonce=f"{site.name}-warm-{secrets.token_hex(3)}",
    )
    log(f"{site.name}: measuring {args.duration}s")
    mails_before = sink.count
    meter = CpuMeter(processes)
    measured = run_wrk(
        wrk,
        url,
        seconds=args.duration,
        connections=args.connections,
        threads=args.wrk_threads,
        nonce=f"{site.name}-run-{secrets.token_hex(3)}",
    )
    measured["cpu"] = meter.stop()
    # How far alert delivery kept up while the server was saturated (informational).
    measured["alerts_delivered_during_run"] = sink.count - mails_before
    measured["quiet_before"] = quiet
    measured["warmup"] = warmup
    log(
        f"{site.name}: {measured['rps']} req/s, p50 {measured['p50_ms']} ms, "
        f"p99 {measured['p99_ms']} ms, non-201 {measured['non_201'] + warmup['non_201']}"
    )
    return measured


# --- Summary ----------------------------------------------------------------------------


def verdicts(figures: dict) -> list[dict]:
    rows = []
    for key, (op, target) in TARGETS.items():
        value = figures.get(key)
        ok = value is not None and not (isinstance(value, float) and math.isnan(value))
        if ok:
            ok = value >= target if op == ">=" else value <= target
        rows.append({"metric": key, "value": value, "target": f"{op} {target:g}", "ok": ok})
    return rows


def judge(result: dict) -> dict:
    """The figures the targets apply to; anything else wrong goes to result["problems"]."""
    figures = {}
    submit, base = result.get("submit"), result.get("baseline")
    if submit:
        figures["submit_rps"] = submit["rps"]
        figures["submit_p99_ms"] = submit["p99_ms"]
        bad = submit["non_201"] + submit["warmup"]["non_201"]
        errors = submit["socket_errors"] + submit["warmup"]["socket_errors"]
        if bad or errors:
            result["problems"].append(f"Ombud: {bad} non-201 responses, {errors} socket errors")
    if base:
        bad = base["non_201"] + base["warmup"]["non_201"]
        errors = base["socket_errors"] + base["warmup"]["socket_errors"]
        if bad or errors:
            result["problems"].append(f"baseline: {bad} non-201 responses, {errors} socket errors")
    if submit and base and base["rps"]:
        figures["baseline_ratio"] = round(submit["rps"] / base["rps"], 3)
    page = result.get("page")
    if page:
        figures["page_bytes"] = page["bytes"]
        figures["page_requests"] = page["requests"]
        figures["page_third_party_requests"] = len(page["third_party"])
        if page["status"] != 200 or not page["form_without_js"] or page["failed"]:
            result["problems"].append("report page did not load its form without JavaScript")
    alerts = result.get("alerts")
    if alerts:
        figures["alert_p50_s"] = alerts["first_alert_p50_s"]
        figures["alert_p99_s"] = alerts["first_alert_p99_s"]
        if alerts["non_201"] or alerts["reports_without_alert"]:
            result["problems"].append(
                f"alerts: {alerts['non_201']} non-201 submissions, "
                f"{alerts['reports_without_alert']} reports without an alert"
            )
    return figures


def _per_process(cpu: dict) -> str:
    return ", ".join(f"{name} {pct}%" for name, pct in cpu["per_process_pct"].items())


def _print_load(result: dict) -> list:
    settings = result["settings"]
    runs = [
        (name, result.get(key)) for name, key in (("Ombud", "submit"), ("baseline", "baseline"))
    ]
    runs = [(name, run) for name, run in runs if run]
    if not runs:
        return runs
    print(
        f"\nSubmissions: {settings['connections']} connections, {settings['duration_s']} s "
        f"measured after {settings['warmup_s']} s warm-up"
    )
    print(
        f"  {'':<10}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'non-201':>9}{'CPU busy':>10}{'others':>8}"
    )
    for name, run in runs:
        bad = run["non_201"] + run["warmup"]["non_201"]
        print(
            f"  {name:<10}{run['rps']:>8.1f}{run['p50_ms']:>9.1f}{run['p99_ms']:>9.1f}"
            f"{run['max_ms']:>9.1f}{bad:>9}{run['cpu']['busy_pct']:>9.0f}%"
            f"{run['cpu']['other_pct']:>7.0f}%"
        )
    for name, run in runs:
        print(f"  {name} CPU by process: {_per_process(run['cpu'])}")
    for name, run in runs:
        print(
            f"  {name}: {run['alerts_delivered_during_run']} alert mails delivered during the "
            f"measured run ({run['requests']} reports filed)"
        )
    return runs


def _print_alerts(alerts: dict) -> None:
    print(
        f"\nAlerts: {alerts['reports']} reports at {alerts['rate_per_s']:g}/s, "
        f"{alerts['mails']} mails accepted ({'/'.join(map(str, alerts['mails_per_report']))} "
        f"per report), {alerts['reports_without_alert']} reports without one"
    )
    print(
        f"  submission -> first alert: p50 {alerts['first_alert_p50_s']:.3f} s, "
        f"p99 {alerts['first_alert_p99_s']:.3f} s, max {alerts['first_alert_max_s']:.3f} s; "
        f"-> last recipient: p99 {alerts['last_alert_p99_s']:.3f} s"
    )


def _print_page(page: dict) -> None:
    resources = ", ".join(
        f"{r['url'].removeprefix(page['origin'])} {r['bytes']} B" for r in page["resources"]
    )
    print(
        f"\nReport page (JavaScript off): {page['bytes']} bytes in {page['requests']} "
        f"requests ({resources}); third-party {len(page['third_party'])}; "
        f"form works without JS: {'yes' if page['form_without_js'] else 'NO'}"
    )


def print_summary(result: dict) -> None:
    machine = result["machine"]
    load_avg = " ".join(f"{v:.2f}" for v in machine["loadavg_start"])
    print()
    print(f"Ombud benchmark - {machine['cpus']} CPUs, load average {load_avg} at start")
    runs = _print_load(result)
    alerts = result.get("alerts")
    if alerts:
        _print_alerts(alerts)
    if result.get("page"):
        _print_page(result["page"])
    print(f"\n  {'target':<28}{'value':>10}  {'bar':<10}result")
    for row in result["verdicts"]:
        value = row["value"]
        shown = "-" if value is None else (f"{value:.3f}" if isinstance(value, float) else value)
        verdict = "ok" if row["ok"] else "MISSED"
        print(f"  {row['metric']:<28}{shown!s:>10}  {row['target']:<10}{verdict}")
    for name, run in (*runs, ("alert phase", alerts)):
        if run and run["cpu"]["other_pct"] >= 25:
            print(
                f"  WARNING: other processes used {run['cpu']['other_pct']}% CPU during the "
                f"{name} run; its figures understate this machine"
            )
    for problem in result["problems"]:
        print(f"  PROBLEM: {problem}")
    print()


# --- Main -------------------------------------------------------------------------------


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="measured seconds per load run")
    parser.add_argument("--warmup", type=int, default=5, help="discarded seconds before each")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=15,
        help="seconds to wait, before each load run, for other processes to go quiet",
    )
    parser.add_argument("--alerts", type=int, default=24, help="reports in the alert phase")
    parser.add_argument("--alert-rate", type=float, default=1 / 8, help="reports per second")
    parser.add_argument(
        "--src",
        default="",
        help="serve Ombud from another source tree (its src/ directory) for A/B experiments",
    )
    parser.add_argument(
        "--serve-arg",
        action="append",
        default=[],
        help="extra `ombud serve` argument (A/B experiments; repeatable)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["page", "alerts", "submit", "baseline", "worker"],
        help="leave a phase out (experiments only; its targets then count as missed)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def _on_signal(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:  # noqa: PLR0915 -- one linear script, phase by phase
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_signal)
    tmp = Path(tempfile.mkdtemp(prefix="ombud-bench-"))
    processes = Processes(tmp)
    sink = MailSink()
    harness = Harness(args, processes, sink)
    password = secrets.token_urlsafe(12)
    result = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_start": os.getloadavg(),
        },
        "settings": {
            "connections": args.connections,
            "wrk_threads": args.wrk_threads,
            "warmup_s": args.warmup,
            "duration_s": args.duration,
            "alerts": args.alerts,
            "alert_rate": args.alert_rate,
            "src": args.src or str(ROOT / "src"),
            "serve_args": args.serve_arg,
            "skipped": args.skip,
        },
        "problems": [],
    }
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        result["commit"] = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    failed = False
    try:
        harness.wrk = ensure_wrk()
        sink.start()
        log(f"temporary directory {tmp}; SMTP sink on {sink.url}")
        ombud_port, base_port = free_port(), free_port()
        ombud = Site(
            "ombud",
            tmp / "ombud-data",
            ombud_port,
            site_env(tmp / "ombud-data", ombud_port, sink, password, args.src),
        )
        base_env = site_env(tmp / "baseline-data", base_port, sink, password, args.src)
        base_env["DJANGO_SETTINGS_MODULE"] = "bench.baseline_settings"
        baseline = Site("baseline", tmp / "baseline-data", base_port, base_env)
        log("seeding and starting Ombud (ombud demo --no-serve; ombud serve; ombud worker)")
        worker = "worker" not in args.skip
        start_site(processes, ombud, serve_args=tuple(args.serve_arg), worker=worker)
        log("seeding and starting the baseline (gunicorn, 4 sync workers, bench.baseline_wsgi)")
        start_baseline(processes, baseline)

        if "page" not in args.skip:
            log("report page weight (Chromium, JavaScript off)")
            result["page"] = measure_page(ombud)
        if "alerts" not in args.skip:
            log(f"alert latency: {args.alerts} reports at {args.alert_rate:.3g}/s")
            result["alerts"] = measure_alerts(
                ombud, sink, password, processes, count=args.alerts, rate=args.alert_rate
            )
            processes.check_alive()
        if "submit" not in args.skip:
            result["submit"] = load(harness, ombud, SUBMIT_PATH)
            processes.check_alive()
        # Ombud's worker would go on delivering that run's backlog during the baseline.
        processes.stop("ombud-worker")
        processes.stop("ombud-server")
        if "baseline" not in args.skip:
            result["baseline"] = load(harness, baseline, BASELINE_PATH)
            processes.check_alive()
    except BenchError as exc:
        failed = True
        result["problems"].append(str(exc).splitlines()[0])
        print(f"\nbench: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        failed = True
        result["problems"].append("interrupted")
        print("\nbench: interrupted", file=sys.stderr)
    except Exception as exc:
        failed = True
        result["problems"].append(f"harness error: {exc!r}")
        traceback.print_exc()
    finally:
        processes.stop_all()
        sink.stop()
        result["sink_messages_total"] = sink.count
        result["machine"]["loadavg_end"] = os.getloadavg()
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    figures = judge(result)
    result["figures"] = figures
    result["verdicts"] = verdicts(figures)
    result["passed"] = (
        not failed and not result["problems"] and all(v["ok"] for v in result["verdicts"])
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print_summary(result)
    shown = args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output
    log(f"results written to {shown}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
