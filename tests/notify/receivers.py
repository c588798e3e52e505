"""A real HTTP receiver on loopback for the alert-channel tests.

It stands in for Slack, a Matrix homeserver, a signed-webhook consumer or an
SMS gateway: it records every request it gets (method, path, headers, body,
time) and answers as each path is scripted to - 200, 500, a redirect, an
answer too slow for the channel's time-out, or a body trickled byte by byte.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass(frozen=True)
class Answer:
    """What the receiver answers to one request."""

    status: int = 200
    headers: dict = field(default_factory=dict)
    body: bytes = b"ok"
    # Seconds to wait before answering: longer than the channel's time-out is a hang.
    delay: float = 0.0
    # Seconds between the bytes of the body (after prompt headers): a trickle.
    trickle: float = 0.0


OK = Answer()


def fail(status: int = 500) -> Answer:
    return Answer(status, body=b"receiver error")


def slow(seconds: float) -> Answer:
    return Answer(delay=seconds)


def redirect(location: str, status: int = 302) -> Answer:
    return Answer(status, headers={"Location": location}, body=b"")


def trickle(seconds_per_byte: float, size: int = 50) -> Answer:
    return Answer(body=b"x" * size, trickle=seconds_per_byte)


@dataclass(frozen=True)
class Received:
    """One request as it arrived."""

    method: str
    path: str
    headers: dict  # lower-cased name -> value
    body: bytes
    at: float  # time.time() on arrival

    def json(self):
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def raw(self) -> str:
        """Everything the sender chose to send, as text: for "never contains" checks."""
        lines = [f"{self.method} {self.path}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        return "\n".join(lines) + "\n\n" + self.body.decode("utf-8", "replace")


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def _handle(self) -> None:
        receiver = self.server.receiver
        body = self._read_body()
        path = self.path
        receiver.record(
            Received(
                method=self.command,
                path=path,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=body,
                at=time.time(),
            )
        )
        answer = receiver.answer_for(path.split("?", 1)[0])
        if answer.delay and receiver.stopping.wait(answer.delay):
            return  # the test is over; nobody waits for this answer any more
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if not answer.trickle:
            self.wfile.write(answer.body)
            return
        for byte in answer.body:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            if receiver.stopping.wait(answer.trickle):
                return

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0], 16)
                chunk = self.rfile.read(size)
                self.rfile.readline()
                if not size:
                    return b"".join(chunks)
                chunks.append(chunk)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    # http.server dispatches on these names.
    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle  # noqa: N815

    def log_message(self, format, *args):
        pass  # quiet: the test asserts on what was recorded


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, receiver: "Receiver"):
        self.receiver = receiver
        super().__init__(("127.0.0.1", 0), _Handler)

    def verify_request(self, request, client_address) -> bool:
        # Every accepted connection counts, even one that never makes an HTTP
        # request (a TLS handshake against this plain-HTTP server, say).
        self.receiver.count_connection()
        return True

    def handle_error(self, request, client_address) -> None:
        # A client that gave up (time-out) makes our late answer fail: expected.
        pass


class Receiver:
    """A loopback HTTP server recording what it receives; ``script`` says how to answer."""

    def __init__(self):
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._scripts: dict[str, list[Answer]] = {}
        self._connections = 0
        self.stopping = threading.Event()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> "Receiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # wakes slow and trickling answers
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, *answers: Answer) -> None:
        """Answer requests to ``path`` with ``answers`` in turn; the last one repeats.

        A path ending in ``*`` is a prefix; unscripted paths get 200.
        """
        with self._lock:
            self._scripts[path] = list(answers)

    def answer_for(self, path: str) -> Answer:
        with self._lock:
            script = self._scripts.get(path)
            if script is None:
                prefixes = [p for p in self._scripts if p.endswith("*") and path.startswith(p[:-1])]
                if prefixes:
                    script = self._scripts[max(prefixes, key=len)]
            if not script:
                return OK
            return script.pop(0) if len(script) > 1 else script[0]

    def record(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)

    def count_connection(self) -> None:
        with self._lock:
            self._connections += 1

    @property
    def connections(self) -> int:
        with self._lock:
            return self._connections

    def requests(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self._received if path is None or r.path == path]

    def wait_for(self, predicate, timeout: float = 5.0) -> list[Received]:
        """Wait until ``predicate(requests)`` holds; returns the requests."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            received = self.requests()
            if predicate(received):
                return received
            time.sleep(0.02)
        raise AssertionError(f"requests did not arrive in {timeout}s: {len(self.requests())}")


@pytest.fixture(name="receiver")
def receiver_fixture():
    """A started ``Receiver``, stopped after the test."""
    receiver = Receiver().start()
    yield receiver
    receiver.stop()
