"""A fake pretix and a fake pretalx on loopback, answering as the real APIs do.

pretix: ``GET /api/v1/organizers/<org>/events/<event>/orders/`` (orders.rst), pretalx:
``GET /api/events/<event>/speakers/`` (speakers.rst); both paginated the way Django REST
framework pages them (``count``, ``next``, ``previous``, ``results``, ``?page=N``) and
both asking for ``Authorization: Token <token>``, answering 401 otherwise. ``fail``
makes every request answer 500, a body that is not JSON, or a ``next`` page on another
server.
"""

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def pretix_order(code, status="p", *, positions, email="buyer@example.org", testmode=False):
    """An order as pretix's order resource shows it (the fields Ombud reads, and more)."""
    return {
        "code": code,
        "event": "democon",
        "status": status,
        "testmode": testmode,
        "secret": f"order-secret-{code.lower()}",
        "email": email,
        "phone": None,
        "customer": None,
        "locale": "en",
        "sales_channel": "web",
        "datetime": "2026-09-01T10:00:00Z",
        "expires": "2026-09-15T10:00:00Z",
        "total": "250.00",
        "comment": "",
        "checkin_attention": False,
        "require_approval": False,
        "invoice_address": {"company": "", "name": "", "street": "", "country": "DE"},
        "positions": positions,
        "fees": [],
        "downloads": [],
        "payments": [],
        "refunds": [],
        "last_modified": "2026-09-01T10:00:00Z",
    }


def pretix_position(order_code, number, *, name, email=None, secret, addon_to=None):
    return {
        "id": abs(hash((order_code, number))) % 10**6,
        "order": order_code,
        "positionid": number,
        "item": 1,
        "variation": None,
        "price": "250.00",
        "attendee_name": name,
        "attendee_name_parts": {"_scheme": "full", "full_name": name},
        "company": None,
        "attendee_email": email,
        "voucher": None,
        "tax_rate": "19.00",
        "tax_value": "39.92",
        "secret": secret,
        "addon_to": addon_to,
        "subevent": None,
        "checkins": [],
        "downloads": [],
        "answers": [],
        "pseudonymization_id": "MQLJvANO3B",
        "seat": None,
        "canceled": False,
        "blocked": None,
    }


def pretalx_speaker(code, name, email=None):
    speaker = {
        "code": code,
        "name": name,
        "biography": "Speaks about things.",
        "submissions": ["DEFAB"],
        "avatar_url": None,
        "answers": [],
    }
    if email is not None:
        speaker["email"] = email  # only for a token that may see addresses
    return speaker


class FakeTicketing:
    """Serves ``orders`` (pretix) and ``speakers`` (pretalx), ``page_size`` per page."""

    def __init__(self, token: str, *, organizer="demo-org", event="democon", page_size=2):
        self.token = token
        self.organizer = organizer
        self.event = event
        self.page_size = page_size
        self.orders: list = []
        self.speakers: list = []
        self.fail = ""  # "", "500", "malformed", "offsite"
        self.requests: list = []  # (path, Authorization header)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeTicketing":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _page(self, path: str, items: list, page: int) -> dict:
        start = (page - 1) * self.page_size
        last = (len(items) - 1) // self.page_size + 1 if items else 1

        def link(number):
            if number < 1 or number > last:
                return None
            base = "http://198.51.100.9:8" if self.fail == "offsite" else self.url
            return f"{base}{path}?page={number}" if number > 1 else f"{base}{path}"

        return {
            "count": len(items),
            "next": link(page + 1),
            "previous": link(page - 1),
            "results": items[start : start + self.page_size],
        }

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, kind="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                parsed = urllib.parse.urlsplit(self.path)
                fake.requests.append((parsed.path, self.headers.get("Authorization", "")))
                if self.headers.get("Authorization") != f"Token {fake.token}":
                    return self._send(401, b'{"detail": "Invalid token."}')
                if fake.fail == "500":
                    return self._send(500, b"<h1>Server Error (500)</h1>", "text/html")
                if fake.fail == "malformed":
                    return self._send(200, b'{"count": 3, "results": [')
                pretix = f"/api/v1/organizers/{fake.organizer}/events/{fake.event}/orders/"
                pretalx = f"/api/events/{fake.event}/speakers/"
                if parsed.path == pretix:
                    items = fake.orders
                elif parsed.path == pretalx:
                    items = fake.speakers
                else:
                    return self._send(404, b'{"detail": "Not found."}')
                query = urllib.parse.parse_qs(parsed.query)
                page = int(query.get("page", ["1"])[0])
                body = json.dumps(fake._page(parsed.path, items, page)).encode()
                return self._send(200, body)

        return Handler
