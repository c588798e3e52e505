"""Which language a page, a report and an alert speak."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from ombud.accounts import services as accounts
from ombud.cases.models import Report
from ombud.events.models import EventText
from ombud.events.services import save_event_texts
from ombud.notify.models import OutboxMessage
from ombud.notify.services import SUBJECTS
from ombud.notify.worker import claim, deliver
from tests import factories

pytestmark = pytest.mark.django_db

CODES = [code for code, _name in settings.LANGUAGES]
# A phrase of the event page in each language, from its catalogue: the page really
# speaks the language, not only its lang attribute.
REPORT_AN_INCIDENT = {
    "en": "Report an incident",
    "de": "Vorfall melden",
}


def html_lang(response) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]+)" dir="(ltr|rtl)">', response.content.decode())
    assert found, "no <html lang dir>"
    return found.group(1), found.group(2)


@pytest.fixture
def world_event():
    return factories.event("world", languages="en,de,es,fr,pt-br,ja,ar", default_language="en")


@pytest.mark.parametrize("code", CODES)
def test_the_event_page_speaks_the_browsers_language(client, world_event, code):
    response = client.get(
        reverse("events:public", args=[world_event.slug]), HTTP_ACCEPT_LANGUAGE=code
    )
    assert response.status_code == 200
    assert html_lang(response) == (code, "rtl" if code == "ar" else "ltr")
    assert response["Content-Language"] == code
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("pt-BR,pt;q=0.9", "pt-br"),
        ("pt", "pt-br"),
        ("ja-JP", "ja"),
        ("ar-EG,ar;q=0.8,en;q=0.5", "ar"),
        ("zh-CN,de;q=0.4", "de"),  # the first language Ombud speaks
        ("*", "en"),
        ("xx-INVALID;;;q=abc,,,", "en"),  # malformed: the default, never a 500
        ("de;q=0.1," + "x" * 600, "de"),  # absurdly long: cut at its last comma
        ("", "en"),
    ],
)
def test_accept_language_headers_good_and_bad(client, world_event, header, expected):
    response = client.get(
        reverse("events:public", args=[world_event.slug]), HTTP_ACCEPT_LANGUAGE=header
    )
    assert response.status_code == 200
    assert html_lang(response)[0] == expected


def test_an_event_speaks_only_its_languages_and_falls_back_to_its_default(client):
    event = factories.event("berlin", languages="en,de", default_language="de")
    url = reverse("events:public", args=[event.slug])
    # Japanese is not offered: the person's next language, else the event's default.
    assert html_lang(client.get(url, HTTP_ACCEPT_LANGUAGE="ja,en;q=0.5"))[0] == "en"
    assert html_lang(client.get(url, HTTP_ACCEPT_LANGUAGE="ja"))[0] == "de"
    # A cookie with a language the event does not offer is passed over too.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    assert html_lang(client.get(url, HTTP_ACCEPT_LANGUAGE="fr"))[0] == "de"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "not-a-language"
    assert html_lang(client.get(url))[0] == "de"


def test_the_switch_keeps_the_choice_in_a_cookie_without_javascript(client, world_event):
    page = reverse("events:public", args=[world_event.slug])
    response = client.get(page, HTTP_ACCEPT_LANGUAGE="en")
    switch = response.content.decode()
    # A plain form: one button per language, the current one marked.
    assert f'action="{reverse("set_language")}"' in switch
    for code in CODES:
        assert f'name="language" value="{code}" lang="{code}"' in switch
    response = client.post(reverse("set_language"), {"language": "ja", "next": page})
    assert response.status_code == 302
    assert response["Location"] == page
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "ja"
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    # The cookie outranks the browser's own wish.
    assert html_lang(client.get(page, HTTP_ACCEPT_LANGUAGE="de"))[0] == "ja"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""]
)
def test_the_switch_never_sends_anyone_elsewhere(client, target):
    response = client.post(reverse("set_language"), {"language": "de", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_an_unknown_language_changes_nothing(client):
    response = client.post(reverse("set_language"), {"language": "klingon", "next": "/"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert client.get(reverse("set_language")).status_code == 405


def test_every_language_name_is_written_in_itself(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for name in ("Deutsch", "Español", "Français", "Português (Brasil)", "日本語", "العربية"):
        assert name in page


def test_the_event_texts_fall_back_visibly_to_the_default_language(client):
    event = factories.event(
        "lyon",
        languages="fr,en",
        default_language="fr",
        code_of_conduct_text="Soyez bienveillants.",
        staff_recognition="T-shirts orange.",
    )
    admin = factories.user("admin")
    save_event_texts(event, "en", {"code_of_conduct_text": "Be kind."}, by=admin)
    page = client.get(
        reverse("events:public", args=[event.slug]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Be kind." in page
    assert "Soyez bienveillants." not in page
    # Not translated: shown in French, marked as French for screen readers and readers.
    assert re.search(r'lang="fr"[^>]*>\s*T-shirts orange\.', page)
    assert "Français" in page


def test_only_an_organiser_of_the_event_writes_its_texts(client, signed_in):
    cast = factories.personas()
    cast.event.languages = "en,de"
    cast.event.save(update_fields=["languages"])
    url = reverse("staff:event_texts", args=[cast.event.slug, "de"])
    assert signed_in(cast.lead).get(url).status_code == 404
    client.logout()
    admin = signed_in(cast.admin)
    assert admin.get(url).status_code == 200
    response = admin.post(url, {"code_of_conduct_text": "Seid nett.", "staff_recognition": ""})
    assert response.status_code == 302
    assert EventText.objects.get(event=cast.event, language="de").code_of_conduct_text == (
        "Seid nett."
    )
    # The default language's texts are the event's settings; a language not offered has none.
    for language in ("en", "ja", "xx"):
        url = reverse("staff:event_texts", args=[cast.event.slug, language])
        assert admin.get(url).status_code == 404


def test_a_report_records_the_language_it_was_written_in(client, world_event):
    form = client.get(reverse("intake:report", args=[world_event.slug]), HTTP_ACCEPT_LANGUAGE="ja")
    key = re.search(r'name="submission_key" value="([^"]+)"', form.content.decode()).group(1)
    client.post(
        reverse("intake:report", args=[world_event.slug]),
        {"what_happened": "誰かに後をつけられました。", "submission_key": key},
        HTTP_ACCEPT_LANGUAGE="ja",
    )
    assert Report.objects.get().language == "ja"


def test_the_api_records_the_reports_language(client, world_event):
    url = f"/api/v1/events/{world_event.slug}/reports"
    client.post(
        url,
        {"what_happened": "Alguien me siguió."},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="es-MX",
    )
    client.post(
        url,
        {"what_happened": "Quelqu'un m'a suivie.", "language": "fr"},
        content_type="application/json",
    )
    assert sorted(Report.objects.values_list("language", flat=True)) == ["es", "fr"]
    refused = client.post(
        url, {"what_happened": "x", "language": "xx"}, content_type="application/json"
    )
    assert refused.status_code == 422


def test_alerts_speak_each_recipients_language(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    event = factories.event("tokyo", languages="ja,en", default_language="ja")
    german = factories.user("hans", email="hans@example.org")
    accounts.choose_language(german, "de")
    nobody_chose = factories.user("kenji", email="kenji@example.org")
    for person in (german, nobody_chose):
        factories.member(event, person, factories.Role.RESPONDER)
    factories.file_report(event)
    assert OutboxMessage.objects.count() >= 2
    deliver(claim())
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    english = "Ombud: a new report needs attention"
    with translation.override("de"):
        assert subjects["hans@example.org"] == str(SUBJECTS[OutboxMessage.Kind.NEW_REPORT])
    # Nobody chose: the event's own language.
    with translation.override("ja"):
        assert subjects["kenji@example.org"] == str(SUBJECTS[OutboxMessage.Kind.NEW_REPORT])
    assert english not in subjects.values()


def test_a_staff_members_own_language_speaks_their_pages(client, signed_in):
    person = factories.user("lena")
    accounts.choose_language(person, "fr")
    page = signed_in(person).get(reverse("accounts:security"), HTTP_ACCEPT_LANGUAGE="de")
    assert html_lang(page)[0] == "fr"
    response = client.post(
        reverse("accounts:security"), {"action": "language", "language": "pt-br"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.language == "pt-br"


def test_switching_language_on_the_receipt_page_keeps_the_receipt_in_sight(client, world_event):
    url = reverse("intake:report", args=[world_event.slug])
    form = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    key = re.search(r'name="submission_key" value="([^"]+)"', form).group(1)
    page = client.post(url, {"what_happened": "He followed me.", "submission_key": key})
    html = page.content.decode()
    receipt = re.search(r'id="receipt">([^<]+)<', html).group(1)
    # The switch on this page posts the receipt to the follow-up, not a bare redirect
    # that would lose the receipt shown only once.
    switch = html[html.index('class="languages"') :]
    assert f'action="{reverse("receipt:followup")}"' in switch[: switch.index("</form>")]
    assert f'value="{receipt}"' in switch[: switch.index("</form>")]
    response = client.post(
        reverse("receipt:followup"),
        {"receipt": receipt, "action": "language", "show_receipt": "1", "language": "ja"},
    )
    assert response.status_code == 200
    assert html_lang(response) == ("ja", "ltr")
    assert f'id="receipt">{receipt}<' in response.content.decode()
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ja"
    # A language the event does not offer is not taken.
    event = factories.event("only-en", languages="en", default_language="en")
    report = factories.file_report(event)
    refused = client.post(
        reverse("receipt:followup"),
        {"receipt": report.receipt, "action": "language", "language": "ar"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert html_lang(refused) == ("en", "ltr")
