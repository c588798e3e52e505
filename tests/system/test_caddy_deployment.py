"""The documented deployment, as a browser sees it: Debian's Caddy with the shipped
Caddyfile in front of `ombud serve` in production mode, and `ombud worker`.

Caddy uses its internal certificate authority (`local_certs`, `skip_install_trust`,
its storage in the test's directory), so the machine's trust store is never changed;
the client trusts that authority's root certificate and nothing else. Only ports,
the host name and the loopback binding are changed from the shipped file.
"""

import http.client
import json
import os
import re
import secrets
import shutil
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.live import DEMO_PASSWORD, MailSink, OmbudServe, OmbudSite, demo_otp, free_port

pytestmark = pytest.mark.system

CADDYFILE = Path(__file__).resolve().parents[2] / "deploy" / "Caddyfile"
HOST = "localhost"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HSTS = "max-age=63072000; includeSubDomains; preload"


def caddyfile_for_test(*, http_port: int, https_port: int, upstream: int, storage: Path) -> str:
    """The shipped Caddyfile with this test's ports, host and storage."""
    text = CADDYFILE.read_text()
    assert text.count("ombud.example.org {") == 1
    assert text.count("reverse_proxy 127.0.0.1:8000") == 1
    assert "\n{\n" in text  # the global options block
    text = text.replace(
        "\n{\n",
        "\n{\n"
        # No https_port: Caddy leaves the port it names out of its redirects (it takes it
        # for 443 behind a port forward); the site's own port stays in them.
        f"\thttp_port {http_port}\n\tadmin off\n"
        "\tlocal_certs\n\tskip_install_trust\n"
        f"\tstorage file_system {{\n\t\troot {storage}\n\t}}\n",
        1,
    )
    text = text.replace("ombud.example.org {", f"{HOST}:{https_port} {{\n\tbind 127.0.0.1")
    return text.replace("reverse_proxy 127.0.0.1:8000", f"reverse_proxy 127.0.0.1:{upstream}")


class ProductionServe(OmbudServe):
    """`ombud serve` in production mode: ready once /healthz answers for our host
    (the event page would redirect plain HTTP to HTTPS)."""

    def wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"ombud serve exited early:\n{self.log()}")
            connection = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=2)
            try:
                connection.request("GET", "/healthz", headers={"Host": HOST})
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
            finally:
                connection.close()
        self.kill()
        raise AssertionError(f"ombud serve did not start in {timeout}s:\n{self.log()}")


class Caddy:
    def __init__(self, folder: Path, config: str):
        self.folder = folder
        self.config = folder / "Caddyfile"
        self.config.write_text(config)
        self.log_path = folder / "caddy.log"
        self.process = None

    def start(self, root_cert: Path, https_port: int, timeout: float = 30.0) -> "Caddy":
        home = self.folder / "home"
        home.mkdir()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [shutil.which("caddy"), "run", "--adapter", "caddyfile", "--config", self.config],
                # Caddy's own files (autosave, locks) in the test's directory, not root's home.
                env={"HOME": str(home), "XDG_DATA_HOME": str(home), "XDG_CONFIG_HOME": str(home)},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"caddy exited early:\n{self.log()}")
            if root_cert.exists():
                try:
                    context = ssl.create_default_context(cafile=str(root_cert))
                    with httpx.Client(verify=context, trust_env=False) as client:
                        client.get(f"https://{HOST}:{https_port}/healthz", timeout=2)
                    return self
                except (httpx.HTTPError, ssl.SSLError):
                    pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"caddy did not serve HTTPS in {timeout}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Browser:
    """Cookies, and the Origin and Referer a browser sends with a form from the page."""

    def __init__(self, base: str, trust: ssl.SSLContext, source: str = "127.0.0.1"):
        self.base = base
        transport = httpx.HTTPTransport(verify=trust, local_address=source)
        self.client = httpx.Client(base_url=base, transport=transport, trust_env=False, timeout=20)

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post_form(self, path: str, data: dict, *, origin: str | None = None) -> httpx.Response:
        page = self.client.get(path)
        token = CSRF.search(page.text).group(1)
        headers = {"Origin": origin or self.base, "Referer": self.base + path}
        return self.client.post(path, data={**data, "csrfmiddlewaretoken": token}, headers=headers)

    def close(self) -> None:
        self.client.close()


def _secure_cookie(response: httpx.Response, name: str) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert headers, f"{name} was not set"
    return headers[-1]


@pytest.fixture(scope="module")
def mail(tmp_path_factory):
    sink = MailSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, mail):
    """One deployment for the tests here (each test its own client addresses)."""
    if shutil.which("caddy") is None:
        pytest.skip("caddy is not installed here (scripts/test.sh installs Debian's)")
    tmp_path = tmp_path_factory.mktemp("deployment")
    mail_sink = mail
    http_port, https_port = free_port(), free_port()
    site = OmbudSite(tmp_path / "data", email_url=mail_sink.url).setup()  # seeded as a demo
    metrics_token = secrets.token_urlsafe(32)
    site.env.update(
        {
            "OMBUD_MODE": "production",
            "OMBUD_SECRET_KEY": secrets.token_urlsafe(50),
            "OMBUD_BASE_URL": f"https://{HOST}:{https_port}",
            "OMBUD_TRUSTED_PROXIES": "1",
            "OMBUD_RATE_LIMITS": "on",
            "OMBUD_LOG_FORMAT": "json",
            "OMBUD_METRICS_TOKEN": metrics_token,
        }
    )
    storage = tmp_path / "caddy"
    caddy = Caddy(
        tmp_path,
        caddyfile_for_test(
            http_port=http_port, https_port=https_port, upstream=site.port, storage=storage
        ),
    )
    server = ProductionServe(site)
    site.processes.append(server)
    try:
        server.start()
        site.worker().start()
        root = storage / "pki" / "authorities" / "local" / "root.crt"
        caddy.start(root, https_port)
        yield {
            "site": site,
            "caddy": caddy,
            "base": f"https://{HOST}:{https_port}",
            "http": f"http://{HOST}:{http_port}",
            "trust": ssl.create_default_context(cafile=str(root)),
            "metrics_token": metrics_token,
        }
    finally:
        caddy.stop()
        site.stop()


def test_ombud_behind_caddy_as_a_browser_sees_it(deployment, mail):
    base, trust = deployment["base"], deployment["trust"]
    site, caddy = deployment["site"], deployment["caddy"]

    # Plain HTTP only redirects, to the same path over HTTPS.
    with httpx.Client(trust_env=False) as plain:
        moved = plain.get(deployment["http"] + "/e/pycon-demo/report/")
    assert moved.status_code in {301, 308}
    assert moved.headers["Location"] == base + "/e/pycon-demo/report/"

    reporter = Browser(base, trust)
    page = reporter.get("/e/pycon-demo/report/")
    assert page.status_code == 200
    assert page.headers.get_list("strict-transport-security") == [HSTS]
    csrf_cookie = _secure_cookie(page, "csrftoken")
    assert "; Secure" in csrf_cookie
    assert "HttpOnly" in csrf_cookie

    # A form sent from another origin (here: the plain-HTTP one) is refused...
    canary = f"CANARY{secrets.token_hex(6)}"
    foreign = reporter.post_form(
        "/e/pycon-demo/report/",
        {"what_happened": canary},
        origin=deployment["http"],
    )
    assert foreign.status_code == 403
    # ...and from the HTTPS site itself taken: the receipt on the page means stored.
    filed = reporter.post_form("/e/pycon-demo/report/", {"what_happened": f"{canary} by form"})
    assert filed.status_code == 200, filed.text[:500]
    receipt = re.search(r'id="receipt">([0-9A-Z-]+)<', filed.text).group(1)

    # The alert reaches the chair with a link to the HTTPS site; the chair reads it there.
    received = mail.wait_for(lambda ms: any("chair@" in a for m in ms for a in m.envelope_to))
    alert = next(m for m in received if any("chair@" in a for a in m.envelope_to))
    link = re.search(re.escape(base) + r"(/staff/cases/[0-9a-f-]+/)", alert.body)
    assert link, alert.body
    assert canary not in alert.raw.decode()
    chair = Browser(base, trust)
    signed_in = chair.post_form("/staff/login/", {"username": "chair", "password": DEMO_PASSWORD})
    assert signed_in.status_code == 302, signed_in.text[:500]
    assert "; Secure" in _secure_cookie(signed_in, "sessionid")
    step = chair.get(signed_in.headers["Location"])
    if step.status_code == 302 and step.headers["Location"].startswith("/staff/login/verify/"):
        assert chair.post_form(step.headers["Location"], {"code": demo_otp()}).status_code == 302
    assert chair.get("/staff/").status_code == 200
    case_path = link.group(1)
    chair.post_form(case_path, {"action": "declare", "choice": "no_conflict"})
    case_page = chair.get(case_path)
    assert case_page.status_code == 200
    assert f"{canary} by form" in case_page.text

    # Health and metrics through Caddy: ready, and the report counted, without content.
    assert (reporter.get("/readyz").status_code, reporter.get("/readyz").json()) == (
        200,
        {"status": "ok"},
    )
    assert reporter.get("/metrics").status_code == 404
    scrape = reporter.get(
        "/metrics", headers={"Authorization": f"Bearer {deployment['metrics_token']}"}
    )
    assert scrape.status_code == 200
    assert 'ombud_reports_received_total{channel="web"} 1' in scrape.text
    assert canary not in scrape.text

    # Ombud logged JSON lines; neither it nor Caddy logged the report or the receipt.
    logs = "".join(p.log() for p in site.processes)
    # Every line, gunicorn's own included, is one JSON object (OMBUD_LOG_FORMAT=json).
    for process in site.processes:
        lines = [json.loads(line) for line in process.log().splitlines() if line.strip()]
        assert lines, process.name
    loggers = {line["logger"] for line in map(json.loads, site.processes[0].log().splitlines())}
    assert {"gunicorn.error", "ombud.access"} <= loggers
    for secret in (canary, receipt):
        assert secret not in logs
        assert secret not in caddy.log()
    reporter.close()
    chair.close()


def test_client_addresses_come_from_caddy_not_from_the_client(deployment):
    """Rate limits count per client address. Behind Caddy every request reaches Ombud
    from Caddy's address; Ombud must count by the address Caddy saw (X-Forwarded-For,
    OMBUD_TRUSTED_PROXIES=1), and a client's own X-Forwarded-For must not help it."""
    base, trust = deployment["base"], deployment["trust"]
    guesser = Browser(base, trust, source="127.0.0.3")
    bystander = Browser(base, trust, source="127.0.0.4")
    answers = [
        guesser.get(
            "/api/v1/receipt",
            headers={
                "X-Receipt": f"AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-{n:04d}",
                # A made-up address each time: were it believed, no limit would be reached.
                "X-Forwarded-For": f"198.51.100.{n % 250}",
            },
        ).status_code
        for n in range(101)
    ]
    assert answers[:100] == [404] * 100
    assert answers[100] == 429
    # Another attendee, through the same Caddy, is not affected.
    other = bystander.get("/api/v1/receipt", headers={"X-Receipt": "AAAA-BBBB-CCCC-DDDD-0000"})
    assert other.status_code == 404
    guesser.close()
    bystander.close()


def test_caddy_logs_a_failed_request_without_its_path_headers_or_address(deployment):
    """While Ombud restarts Caddy answers 502 and logs the failure - but not the path
    (a password link's is a secret), the headers (X-Receipt) or the client's address."""
    site, caddy = deployment["site"], deployment["caddy"]
    server = site.processes[0]
    secret_path = f"/staff/password/set/{secrets.token_hex(4)}/{secrets.token_hex(8)}/"
    receipt = f"RECEIPT{secrets.token_hex(6)}"
    client = Browser(deployment["base"], deployment["trust"], source="127.0.0.5")
    server.stop()
    try:
        failed = client.get(secret_path, headers={"X-Receipt": receipt})
        assert failed.status_code == 502
        deadline = time.monotonic() + 5
        while "http.log.error" not in caddy.log() and time.monotonic() < deadline:
            time.sleep(0.1)
        log = caddy.log()
        assert "http.log.error" in log  # the failure is there...
        for private in (secret_path, receipt, "127.0.0.5", "X-Receipt"):
            assert private not in log  # ...and nothing that names the request
    finally:
        client.close()
        server.start()
