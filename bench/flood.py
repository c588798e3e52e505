"""A flood against a real server (DESIGN §8, issue 14): ``python -m bench.flood``.

`ombud serve` and `ombud worker` on a fresh SQLite data directory (as bench.run
starts them), alerts to an SMTP sink run here. 2,000 near-identical junk reports
are posted through the API by 8 clients as fast as the server takes them; halfway
through, one real report saying someone is in danger. Then the sink is watched
until the first alert window's digests are in. It prints, and writes to
bench/results/flood.json:

- submissions: how many, how fast, any answer other than 201;
- the real report's alert: seconds from its 201 to its own alert at the sink;
- alerts per person: the most any one address received (the bound in
  ombud.notify.coalesce: at most 27 in a flood's first hour), and all of them;
- nothing lost: per person, reports alerted on their own plus those counted in
  digests, against the reports filed.
"""

import argparse
import email
import email.policy
import http.client
import json
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bench.run import (
    CASE_LINK,
    SUBMIT_PATH,
    BenchError,
    MailSink,
    Processes,
    Site,
    _call,
    _case_ids,
    free_port,
    log,
    site_env,
    start_site,
)

RESULTS = Path(__file__).resolve().parent / "results" / "flood.json"
JUNK = (
    "This whole conference is a disgrace and everyone who organised it should be ashamed "
    "of what happened in the main hall today, number {n}"
)
REAL = "Someone is following me between the rooms and will not stop; I am scared."
TARGETS = {"max_alerts_per_person": 30, "real_alert_s": 2.0}
DIGEST_COUNT = re.compile(r"(\d+) new reports?")


def _post(conn, body: dict) -> tuple[int, dict]:
    status, data = _call(
        conn, "POST", SUBMIT_PATH, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    return status, (json.loads(data) if status == 201 else {})


def _flood(site: Site, reports: int, clients: int) -> dict:
    numbers = iter(range(reports))
    lock = threading.Lock()
    statuses: Counter = Counter()
    real: dict = {}

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=60)
        try:
            while True:
                with lock:
                    n = next(numbers, None)
                if n is None:
                    return
                if n == reports // 2:
                    status, body = _post(conn, {"what_happened": REAL, "danger_now": True})
                    real.update(status=status, answered=time.monotonic(), **body)
                status, _body = _post(conn, {"what_happened": JUNK.format(n=n)})
                with lock:
                    statuses[status] += 1
        finally:
            conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    if real.get("status") != 201:
        raise BenchError(f"the real report answered {real.get('status')}")
    return {
        "reports": reports,
        "seconds": round(seconds, 2),
        "per_s": round(reports / seconds, 1),
        "statuses": dict(statuses),
        "real": real,
    }


def _wait_for_digests(sink: MailSink, since: float, *, at_least: float, quiet: float, limit: float):
    """Until the first window's digests are in: ``at_least`` seconds, then ``quiet``
    seconds without a message (``limit`` at most)."""
    while True:
        now = time.monotonic()
        _got, last = sink.progress()
        if now - since >= limit:
            return
        if now - since >= at_least and now - last >= quiet:
            return
        time.sleep(0.5)


def _recipients(message) -> list[str]:
    return [address.strip().lower() for address in str(message["To"]).split(",")]


def measure(site: Site, sink: MailSink, password: str, *, reports: int, clients: int) -> dict:
    sink.begin_capture()
    flood = _flood(site, reports, clients)
    _wait_for_digests(sink, flood["real"]["answered"], at_least=75, quiet=10, limit=240)
    mails = sink.end_capture()
    real_case = _case_ids(site, password, [flood["real"]["report_id"]])[flood["real"]["report_id"]]
    per_person: Counter = Counter()
    accounted: Counter = Counter()
    real_alert = None
    for arrived, raw in mails:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",)).get_content()
        found = CASE_LINK.search(body.encode())
        for address in _recipients(message):
            per_person[address] += 1
            counted = sum(int(n) for n in DIGEST_COUNT.findall(body))
            accounted[address] += counted if counted else (1 if found else 0)
        if found and found.group(1).decode() == real_case and real_alert is None:
            real_alert = arrived - flood["real"]["answered"]
    return {
        "submissions": {k: v for k, v in flood.items() if k != "real"},
        "real_alert_s": round(real_alert, 3) if real_alert is not None else None,
        "mails": len(mails),
        "alerts_per_person": dict(per_person),
        "max_alerts_per_person": max(per_person.values(), default=0),
        "reports_accounted_per_person": dict(accounted),
        "reports_filed": reports + 1,
    }


def _nothing_lost(result: dict) -> bool:
    """Everyone who got a digest has every report: alerted on its own or counted in one."""
    with_digests = [n for n in result["reports_accounted_per_person"].values() if n > 1]
    return bool(with_digests) and all(n == result["reports_filed"] for n in with_digests)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="ombud-flood-"))
    processes, sink = Processes(tmp), MailSink()
    password = secrets.token_urlsafe(12)
    result = {"started_at": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        sink.start()
        port = free_port()
        site = Site("ombud", tmp / "data", port, site_env(tmp / "data", port, sink, password, ""))
        log("seeding and starting Ombud (ombud demo --no-serve; ombud serve; ombud worker)")
        start_site(processes, site)
        log(f"flood: {args.reports} junk reports from {args.clients} clients, one real among them")
        result.update(measure(site, sink, password, reports=args.reports, clients=args.clients))
        processes.check_alive()
    finally:
        processes.stop_all()
        sink.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    bad = {s: n for s, n in result["submissions"]["statuses"].items() if s != 201}
    result["passed"] = (
        not bad
        and result["real_alert_s"] is not None
        and result["real_alert_s"] <= TARGETS["real_alert_s"]
        and result["max_alerts_per_person"] <= TARGETS["max_alerts_per_person"]
        and _nothing_lost(result)
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str) + "\n")
    sub = result["submissions"]
    print(
        f"\nFlood: {sub['reports']} junk reports + 1 real in {sub['seconds']} s "
        f"({sub['per_s']}/s), answers {sub['statuses']}"
    )
    print(f"  the real report's own alert: {result['real_alert_s']} s after its 201 (bar 2 s)")
    print(
        f"  alert messages per person: max {result['max_alerts_per_person']} (bar 30); "
        f"{result['alerts_per_person']}"
    )
    print(
        f"  reports alerted or counted in digests, per person: "
        f"{result['reports_accounted_per_person']} of {result['reports_filed']}"
    )
    print(f"  {'ok' if result['passed'] else 'MISSED'}\n")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
