"""A tiny cookie-keeping HTTP client for system tests against a real server."""

import http.cookiejar
import json
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _multipart(data: dict, files: dict) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    parts = []
    for name, value in data.items():
        for item in value if isinstance(value, list | tuple) else [value]:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{item}\r\n".encode()
            )
    for name, (filename, content, content_type) in files.items():
        parts.append(
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class Response:
    status: int
    text: str
    headers: dict
    url: str

    def json(self):
        return json.loads(self.text)


class Session:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(
        self, method, path, *, data=None, json_body=None, headers=None, files=None
    ) -> Response:
        headers = dict(headers or {})
        body = None
        if files:
            body, headers["Content-Type"] = _multipart(data or {}, files)
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers.setdefault("Referer", self.base_url + path)
        request = urllib.request.Request(
            self.base_url + path, data=body, headers=headers, method=method
        )
        try:
            with self.opener.open(request, timeout=20) as response:
                return Response(
                    response.status,
                    response.read().decode(),
                    dict(response.headers),
                    response.url,
                )
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read().decode(), dict(error.headers), error.url)

    def get(self, path, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, path, data, *, form_path=None, files=None) -> Response:
        """GET the page holding the form for its CSRF token, then POST to ``path``
        (``files``: field -> (file name, bytes, content type), sent as multipart)."""
        page = self.get(form_path or path)
        token = CSRF.search(page.text).group(1)
        return self.request("POST", path, data={**data, "csrfmiddlewaretoken": token}, files=files)

    def sign_in(self, username, password, code="") -> Response:
        """Password, then the second factor when the role asks for one."""
        response = self.post_form("/staff/login/", {"username": username, "password": password})
        here = urllib.parse.urlsplit(response.url)
        if code and here.path == "/staff/login/verify/":
            page = here.path + (f"?{here.query}" if here.query else "")
            response = self.post_form(page, {"code": code})
        return response
