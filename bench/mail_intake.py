"""Reports by e-mail: intake throughput and message-to-alert latency.

`python -m bench.mail_intake` (part of `make bench`) runs `ombud demo` on a fresh data
directory (embedded SQLite at full durability, `OMBUD_RATE_LIMITS=off`), its alerts and
replies going to an SMTP sink here, its mail intake on a free loopback port, and:

1. latency: 24 messages, one every 8 s, on one connection - an ordinary busy pace, under
   each person's 8 alerts a minute (faster is a flood, whose alerts are grouped on
   purpose: docs/floods.md, bench.flood); per message, from its 250 (DATA accepted) to
   the first alert e-mail for its case at the sink (same monotonic clock). Messages are
   mapped to their cases through the sender's keyed hash in the database, alerts to
   cases through the case link they carry. Reported: p50, p99, max. It runs first, while
   the event is not flooding;
2. throughput: 200 distinct messages (distinct senders, a 1 KB body each) sent over
   SMTP to the demo's reporting address by 4 connections at once, each as fast as its
   250s come back. A 250 is only given once the report is sealed and committed, so
   messages/s = messages acknowledged / wall time from the first MAIL to the last 250.
   Every message must be acknowledged, and afterwards each sender must own exactly one
   report (checked in the database through `ombud shell`).

Targets: >= 20 messages/s; p50 <= 1 s, p99 <= 3 s. Writes bench/results/mail_intake.json.
"""

import argparse
import email
import email.policy
import json
import secrets
import shutil
import smtplib
import socket
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from bench.run import (
    _WORDS,
    BENCH_DIR,
    CASE_LINK,
    ROOT,
    VENV_BIN,
    BenchError,
    CpuMeter,
    MailSink,
    Processes,
    free_port,
    log,
    percentile,
    site_env,
    wait_ready,
)

RESULTS = BENCH_DIR / "results" / "mail_intake.json"
REPORTING = "report@pycon-demo.example"
TARGETS = {"msgs_per_s": (">=", 20.0), "alert_p50_s": ("<=", 1.0), "alert_p99_s": ("<=", 3.0)}


def _message(label: str, n: int) -> tuple[str, EmailMessage]:
    sender = f"bench-{label}-{n}@example.org"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = REPORTING
    message["Subject"] = f"Bench report {n}"
    message["Message-ID"] = f"<bench-{label}-{n}@example.org>"
    # About 1 KB of random words: different reports, not near-duplicates (which would be
    # a flood, their alerts grouped on purpose: docs/floods.md).
    words = " ".join(f"{secrets.choice(_WORDS)}{secrets.randbelow(1000)}" for _ in range(110))
    message.set_content(f"bench {label} {n}: {words}.")
    return sender, message


def _wire(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def _wait_listening(processes: Processes, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        processes.check_alive()
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise BenchError("the demo's mail intake did not listen")


def measure_throughput(port: int, processes: Processes, *, count: int, connections: int) -> dict:
    label = secrets.token_hex(3)
    queue = [_message(label, n) for n in range(count)]
    lock = threading.Lock()
    acknowledged, failed = [], []

    def sender():
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    address, message = queue.pop(0)
                try:
                    client.sendmail(address, [REPORTING], _wire(message))
                except smtplib.SMTPException as exc:
                    failed.append(type(exc).__name__)
                    continue
                acknowledged.append(address)

    meter = CpuMeter(processes)
    start = time.monotonic()
    threads = [threading.Thread(target=sender) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - start
    return {
        "messages": count,
        "connections": connections,
        "acknowledged": len(acknowledged),
        "refused": len(failed),
        "seconds": round(seconds, 2),
        "msgs_per_s": round(len(acknowledged) / seconds, 1),
        "senders": acknowledged,
        "cpu": meter.stop(),
    }


def measure_latency(port: int, sink: MailSink, *, count: int, rate: float) -> dict:
    label = secrets.token_hex(3)
    sent = []  # (sender, monotonic time of the 250)
    sink.begin_capture()
    start = time.monotonic()
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
        for n in range(count):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            address, message = _message(label, n)
            client.sendmail(address, [REPORTING], _wire(message))
            sent.append((address, time.monotonic()))
    # Delivered once the sink is quiet for 2 s since the last message and the last mail
    # (30 s at most): at this pace the previous message's mails are 8 s old.
    sent_at = time.monotonic()
    deadline = sent_at + 30
    while time.monotonic() < deadline:
        got, last = sink.progress()
        if got >= count and time.monotonic() - max(last, sent_at) > 2:
            break
        time.sleep(0.2)
    return {"sent": sent, "mails": sink.end_capture()}


_CASES_OF = """
import json, sys
from ombud.cases.models import Report
from ombud.intake.channels import inbound
senders = json.loads(sys.stdin.read())
found = {}
for sender in senders:
    cases = list(Report.objects.filter(contact_digest=inbound.contact_digest("mail", sender))
                 .values_list("case_id", flat=True))
    found[sender] = [str(c) for c in cases]
print("CASES" + json.dumps(found))
"""


def cases_of(env: dict, senders: list) -> dict:
    import subprocess  # noqa: PLC0415

    done = subprocess.run(
        [str(VENV_BIN / "ombud"), "shell", "-c", _CASES_OF],
        input=json.dumps(senders),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("CASES"))
    return json.loads(line[len("CASES") :])


def latency_figures(measured: dict, cases: dict) -> dict:
    arrivals: dict[str, float] = {}
    for arrived, raw in measured["mails"]:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        found = CASE_LINK.search(body.get_content().encode()) if body else None
        if found:
            case = found.group(1).decode()
            arrivals[case] = min(arrivals.get(case, arrived), arrived)
    latencies, missing = [], 0
    for sender, accepted in measured["sent"]:
        case = (cases.get(sender) or [""])[0]
        if case not in arrivals:
            missing += 1
            continue
        latencies.append(arrivals[case] - accepted)
    return {
        "messages": len(measured["sent"]),
        "without_alert": missing,
        "alert_p50_s": round(percentile(latencies, 50), 3),
        "alert_p99_s": round(percentile(latencies, 99), 3),
        "alert_max_s": round(max(latencies), 3) if latencies else None,
    }


def _met(value, target) -> bool:
    op, bar = target
    return value >= bar if op == ">=" else value <= bar


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--latency-messages", type=int, default=24)
    parser.add_argument("--rate", type=float, default=1 / 8, help="latency messages per second")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="ombud-bench-mail-"))
    processes = Processes(tmp)
    sink = MailSink().start()
    port, intake = free_port(), free_port()
    # Our own source tree first, whichever checkout the virtualenv was installed from.
    env = site_env(tmp / "data", port, sink, secrets.token_urlsafe(12), str(ROOT / "src"))
    env["OMBUD_INTAKE_SMTP"] = f"127.0.0.1:{intake}"
    result = {"started_at": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        processes.start("demo", [str(VENV_BIN / "ombud"), "demo", "--port", str(port)], env)
        wait_ready(processes, "demo", f"http://127.0.0.1:{port}/e/pycon-demo/")
        _wait_listening(processes, intake)
        log(f"latency: {args.latency_messages} messages at {args.rate:.3g}/s")
        measured = measure_latency(intake, sink, count=args.latency_messages, rate=args.rate)
        cases = cases_of(env, [s for s, _t in measured["sent"]])
        result["latency"] = latency_figures(measured, cases)
        log(f"throughput: {args.messages} messages over {args.connections} connections")
        throughput = measure_throughput(
            intake, processes, count=args.messages, connections=args.connections
        )
        owned = cases_of(env, throughput.pop("senders"))
        throughput["senders_with_one_case"] = sum(len(c) == 1 for c in owned.values())
        result["throughput"] = throughput
    finally:
        processes.stop_all()
        sink.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    figures = {
        "msgs_per_s": result["throughput"]["msgs_per_s"],
        "alert_p50_s": result["latency"]["alert_p50_s"],
        "alert_p99_s": result["latency"]["alert_p99_s"],
    }
    complete = (
        result["throughput"]["acknowledged"] == args.messages
        and result["throughput"]["senders_with_one_case"] == args.messages
        and result["latency"]["without_alert"] == 0
    )
    result["targets"] = {k: {"value": figures[k], "target": v} for k, v in TARGETS.items()}
    result["passed"] = complete and all(_met(figures[k], v) for k, v in TARGETS.items())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2))
    t, lat = result["throughput"], result["latency"]
    print(
        f"\nMail intake: {t['msgs_per_s']} messages/s into sealed cases "
        f"({t['acknowledged']}/{t['messages']} acknowledged over {t['connections']} "
        f"connections in {t['seconds']} s; {t['senders_with_one_case']} senders with one case)"
        f"\nMessage-to-alert: p50 {lat['alert_p50_s']} s, p99 {lat['alert_p99_s']} s, "
        f"max {lat['alert_max_s']} s ({lat['messages']} messages at {args.rate}/s, "
        f"{lat['without_alert']} without alert)\n"
        + ("all targets met" if result["passed"] else "TARGET MISSED OR INCOMPLETE"),
        flush=True,
    )
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
