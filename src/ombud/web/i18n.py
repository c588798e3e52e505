"""Which language a page speaks.

One order everywhere: the language the person chose on a page (a cookie), a staff
member's own setting, then the browser's ``Accept-Language`` — the first of those
Ombud speaks. An event's public pages speak only the event's languages and fall
back to its default. The choice is never written into a report, a log line or an
alert.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

SUPPORTED = tuple(code for code, _name in settings.LANGUAGES)
NAMES = dict(settings.LANGUAGES)


def supported(code) -> str | None:
    """The supported language for a code a browser or a cookie sent (``pt-BR`` → ``pt-br``)."""
    if not isinstance(code, str) or not code or len(code) > 35:
        return None
    try:
        return translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


def wanted(request) -> list[str]:
    """The supported languages this person asked for, most wanted first."""
    asked = [request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)]
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        asked.append(user.language)
    asked += [
        code for code, _q in parse_accept_lang_header(request.headers.get("Accept-Language", ""))
    ]
    found = []
    for code in asked:
        language = supported(code)
        if language and language not in found:
            found.append(language)
    return found


def choose(request, offered=SUPPORTED, default=settings.LANGUAGE_CODE) -> str:
    return next((code for code in wanted(request) if code in offered), default)


def speak(request, language: str) -> None:
    translation.activate(language)
    request.LANGUAGE_CODE = translation.get_language()


def speak_for_event(request, event, *, chosen: str | None = None) -> None:
    """An event's public pages: the person's first language the event offers, else its
    default; ``chosen`` just now with the switch, if the event offers it."""
    offered = event.offered_languages()
    request.page_languages = offered
    if chosen not in offered:
        chosen = choose(request, offered, event.default_language)
    speak(request, chosen)


def remember(response, language: str) -> None:
    """Keep the language chosen with the switch, in its cookie and nowhere else."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class LanguageMiddleware:
    """Django's LocaleMiddleware, placed after authentication so a staff member's own
    language counts, and without URL prefixes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        speak(request, choose(request))
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
