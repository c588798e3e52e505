"""What every public page's markup must hold, checked the same way by each page's tests."""

import re

_SCRIPT = re.compile(r"<script([^>]*)>(.*?)</script>", re.S)
_REPORTER_JS = re.compile(r' src="/static/ombud/reporter\.js\?v=[^"]+" defer')


def only_the_static_script(html: str) -> bool:
    """No inline script (the CSP forbids it anyway): only the one small deferred file
    that quick exit and copying the receipt use, at most once."""
    found = _SCRIPT.findall(html)
    return len(found) <= 1 and all(_REPORTER_JS.fullmatch(a) and not b for a, b in found)


def quick_exit(html: str) -> str | None:
    """The quick-exit link's target, when the page has the control (DESIGN §6)."""
    match = re.search(r'<a id="quick-exit" href="([^"]+)" rel="noreferrer">', html)
    return match.group(1) if match else None
