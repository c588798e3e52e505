"""Submissions/s on PostgreSQL with one and with two web nodes: ``python -m bench.nodes``.

It starts a throwaway PostgreSQL cluster (as the ``postgres`` user when run as root,
as scripts/test.sh does; otherwise as the current user) on a free loopback port,
seeds the demo event, and runs `ombud serve` nodes (each with its own data directory,
sharing the database, the secret key and the vault key file, as docs/deploy.md §10
says) and one `ombud worker` delivering to an SMTP sink run here. wrk posts a distinct
report per request (bench/submit.lua):

1. one node: all connections to it;
2. two nodes: the same number of connections, half to each (two wrk processes at
   once), the figure being the sum of both.

On one machine both nodes share its cores with PostgreSQL and the worker: the
second figure says what a second node costs or brings here, not what a second
machine would. It prints both and writes bench/results/nodes.json.
"""

import argparse
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from bench.run import (
    EVENT,
    SUBMIT_PATH,
    BenchError,
    MailSink,
    Processes,
    free_port,
    log,
    run_wrk,
    site_env,
    wait_ready,
)

RESULTS = Path(__file__).resolve().parent / "results" / "nodes.json"
OMBUD = [sys.executable, "-m", "ombud"]


class Postgres:
    """A throwaway cluster under ``root``, trusting loopback, stopped and removed after."""

    def __init__(self):
        # Its own directory, as scripts/test.sh makes one: the postgres user owns it.
        self.root, self.port = Path(tempfile.mkdtemp(prefix="ombud-bench-pg-")), free_port()
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not found:
            raise BenchError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = found[-1].parent
        self.as_postgres = os.geteuid() == 0

    def _run(self, *argv: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        subprocess.run([*prefix, *argv], check=True, capture_output=True, timeout=120)

    def start(self) -> str:
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        data = str(self.root / "data")
        self._run(str(self.bin / "initdb"), "-D", data, "-A", "trust", "-U", "postgres")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        options += " -c max_connections=200"
        log_file = str(self.root / "server.log")
        self._run(
            str(self.bin / "pg_ctl"), "-D", data, "-l", log_file, "-w", "-o", options, "start"
        )
        where = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        self._run(str(self.bin / "createdb"), *where, "ombud")
        return f"postgres://postgres@127.0.0.1:{self.port}/ombud"

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "fast", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _node_env(data_dir: Path, port: int, sink, shared: dict, src: str) -> dict:
    env = site_env(data_dir, port, sink, shared["OMBUD_DEMO_PASSWORD"], src)
    env.update(shared)
    return env


def _start_node(processes: Processes, name: str, port: int, env: dict) -> None:
    processes.start(name, [*OMBUD, "serve", "--port", str(port), "--no-access-log"], env)
    wait_ready(processes, name, f"http://127.0.0.1:{port}/e/{EVENT}/")


def _measure(wrk: str, ports: list[int], args, label: str) -> dict:
    """Warm-up, then ``args.duration`` seconds with the connections spread over ports."""
    each = max(1, args.connections // len(ports))
    runs = []
    for phase, seconds in (("warm", args.warmup), ("run", args.duration)):
        with ThreadPoolExecutor(max_workers=len(ports)) as pool:
            futures = [
                pool.submit(
                    run_wrk,
                    wrk,
                    f"http://127.0.0.1:{port}{SUBMIT_PATH}",
                    seconds=seconds,
                    connections=each,
                    threads=2,
                    nonce=f"{label}-{phase}-{n}-{secrets.token_hex(3)}",
                )
                for n, port in enumerate(ports)
            ]
            runs = [f.result() for f in futures]
    figure = {
        "nodes": len(ports),
        "connections": each * len(ports),
        "rps": round(sum(r["rps"] for r in runs), 1),
        "p99_ms_worst_node": max(r["p99_ms"] for r in runs),
        "non_201": sum(r["non_201"] + r["socket_errors"] for r in runs),
        "per_node": runs,
    }
    log(
        f"{label}: {figure['rps']} submissions/s, p99 {figure['p99_ms_worst_node']} ms, "
        f"non-201 {figure['non_201']}"
    )
    return figure


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=3, help="seconds")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measurement")
    parser.add_argument("--src", default=str(Path(__file__).resolve().parents[1] / "src"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if not wrk:
        raise BenchError("wrk is not installed (apt-get install wrk)")
    tmp = Path(tempfile.mkdtemp(prefix="ombud-bench-nodes-"))
    processes, sink, database = Processes(tmp), MailSink(), Postgres()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    result = {"started_at": started, "cpus": os.cpu_count(), "connections": args.connections}
    try:
        sink.start()
        log(f"temporary directory {tmp}; starting PostgreSQL")
        shared = {
            "OMBUD_DATABASE_URL": database.start(),
            "OMBUD_SECRET_KEY": secrets.token_urlsafe(50),
            "OMBUD_VAULT_KEY_FILE": str(tmp / "keys" / "vault-keys.json"),
            "OMBUD_DEMO_PASSWORD": secrets.token_urlsafe(12),
        }
        ports = [free_port(), free_port()]
        envs = [
            _node_env(tmp / f"node-{n}", port, sink, shared, args.src)
            for n, port in enumerate(ports)
        ]
        log("seeding (ombud demo --no-serve), then one node and one worker")
        processes.run("seed", [*OMBUD, "demo", "--no-serve"], envs[0], timeout=300)
        (tmp / "node-1").mkdir()
        processes.start("worker", [*OMBUD, "worker", "--exit-with-parent"], envs[0])
        _start_node(processes, "node-0", ports[0], envs[0])
        result["one_node"] = _measure(wrk, ports[:1], args, "one node")
        _start_node(processes, "node-1", ports[1], envs[1])
        result["two_nodes"] = _measure(wrk, ports, args, "two nodes")
    finally:
        processes.stop_all()
        database.stop()
        sink.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    one, two = result["one_node"]["rps"], result["two_nodes"]["rps"]
    print(f"PostgreSQL, {args.connections} connections, {os.cpu_count()} CPUs on one machine:")
    print(
        f"  one web node:  {one} submissions/s (p99 {result['one_node']['p99_ms_worst_node']} ms)"
    )
    print(
        f"  two web nodes: {two} submissions/s "
        f"(p99 {result['two_nodes']['p99_ms_worst_node']} ms, worst node)"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    bad = result["one_node"]["non_201"] + result["two_nodes"]["non_201"]
    if bad:
        print(f"  {bad} answers other than 201 or socket errors")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
