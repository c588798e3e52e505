"""Walking the visits of ``tests/browser/pages.py`` in a running demo.

A ``Site`` keeps one browser context (and one page) per role, signed in once, and
the world of ids the visits need, made once through the demo's API and pages.
Each visit is then: choose the language (the ``ombud_language`` cookie, as the
language switch sets it), load the page, send its forms.
"""

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from tests.browser.helpers import _json, _token, file_case, file_report, sign_in_at
from tests.browser.pages import (
    ERROR_MARKERS,
    EVENT,
    HALF_SIGNED_IN,
    LEAD,
    ORGANISATION,
    ORGANISER,
    ForgetCookie,
    Submit,
    Visit,
    filled,
)
from tests.live import DEMO_PASSWORD, MailSink, OmbudDemo

LANGUAGE_COOKIE = "ombud_language"
RIGHT_TO_LEFT = {"ar": "rtl"}
# Who the e-mailed password link is for: nobody the tests sign in as (signing in voids it).
LINK_FOR = "responder2"

# Sets a form's fields by name as a script would, then sends it as its first submit
# button does, with the browser's own checks off (the server's answer is what counts).
_SUBMIT = """(form, values) => {
  for (const [name, value] of Object.entries(values)) {
    const fields = form.querySelectorAll(`[name="${CSS.escape(name)}"]`);
    if (!fields.length) throw new Error(`no field ${name}`);
    for (const field of fields) {
      if (field.type === "checkbox") field.checked = Boolean(value);
      else if (field.type === "radio") field.checked = field.value === value;
      else if (field.tagName === "SELECT") {
        if (![...field.options].some((option) => option.value === value)) {
          field.add(new Option(value, value));
        }
        field.value = value;
      } else field.value = value;
    }
  }
  form.noValidate = true;
  const button = form.querySelector("button[type=submit], button:not([type]), input[type=submit]");
  if (button) button.click(); else form.requestSubmit();
}"""


class Site:
    """The demo as the visits see it: one signed-in context per role, and the world."""

    def __init__(
        self,
        browser: Browser,
        server: OmbudDemo,
        mail: MailSink,
        *,
        viewport: dict,
        init_script: str = "",
    ) -> None:
        self.browser = browser
        self.base = server.base_url
        self.mail = mail
        self.viewport = viewport
        self.init_script = init_script  # run in every page before its own (e.g. axe)
        self.ids: dict = {}
        self._pages: dict = {}

    # --- people ---------------------------------------------------------------------------

    def page(self, role) -> Page:
        """The role's page, signed in on first use."""
        if role not in self._pages:
            context = self.browser.new_context(viewport=self.viewport)
            context.set_default_timeout(15_000)
            if self.init_script:
                context.add_init_script(script=self.init_script)
            page = context.new_page()
            if role == HALF_SIGNED_IN:
                page.goto(self.base + reverse("accounts:login"))
                page.locator("[name=username]").fill(role)
                page.locator("[name=password]").fill(DEMO_PASSWORD)
                with page.expect_navigation():
                    page.locator("main form button[type=submit]").click()
                expect(page).to_have_url(re.compile(re.escape(reverse("accounts:verify"))))
            elif role is not None:
                sign_in_at(page, self.base, role)
            self._pages[role] = page
        return self._pages[role]

    def speak(self, role, language: str) -> None:
        self.page(role).context.add_cookies(
            [{"name": LANGUAGE_COOKIE, "value": language, "url": self.base}]
        )

    def close(self) -> None:
        for page in self._pages.values():
            page.context.close()

    # --- the world ------------------------------------------------------------------------

    def build_world(self) -> dict:
        """Cases, a decision, a roster entry and a password link, as pages.py describes."""
        base = self.base
        lead = {"Authorization": f"Bearer {_token(base, LEAD)}"}

        def act(case_id, what, body):
            _json(f"{base}/api/v1/cases/{case_id}/{what}", body, headers=lead)

        case_id = file_case(
            base, what_happened="A11Y-1: he shouted at me.", who="someone", danger_now=True
        )
        act(case_id, "declaration", {})
        version = _json(f"{base}/api/v1/cases/{case_id}", headers=lead)["version"]
        act(case_id, "acknowledge", {"version": version})
        act(case_id, "notes", {"text": "A11Y-2: spoke to the venue."})
        act(case_id, "messages", {"text": "A11Y-3: are you safe?"})
        new_case_id = file_case(base, what_happened="A11Y-4: a slide with sexual images.")
        receipt, decided_case_id = file_report(
            base, what_happened="A11Y-5: unwanted touching.", who="Max Mustermann"
        )
        act(decided_case_id, "declaration", {})
        act(decided_case_id, "messages", {"text": "A11Y-6: thank you for telling us."})
        version = _json(f"{base}/api/v1/cases/{decided_case_id}", headers=lead)["version"]
        act(decided_case_id, "acknowledge", {"version": version})
        act(
            decided_case_id,
            "decisions",
            {
                "consequence": "verbal",
                "reasoning": "A11Y-7: he admitted it.",
                "to_reporter": "A11Y-8: he will be spoken to.",
                "show_to_reporter": True,
            },
        )
        self._add_channel(LEAD, "priya.alerts@pycon-demo.example")
        year = (timezone.localdate() - timedelta(days=1)).year
        self._publish_transparency(LEAD, reverse("transparency:event", args=[EVENT]))
        self._publish_transparency(
            ORGANISER, reverse("transparency:organisation", args=[ORGANISATION, year])
        )
        self.ids = {
            "case_id": case_id,
            "new_case_id": new_case_id,
            "decided_case_id": decided_case_id,
            "receipt": receipt,
            "member_id": self._member_id("staff1"),
            "intake_channel_id": self._intake_channel_id("report@pycon-demo.example"),
            "uidb64": self._open_password_link(LINK_FOR),
            # The demo event starts yesterday (demo.seed): its transparency report's year.
            "year": year,
        }
        return self.ids

    def _publish_transparency(self, role, path: str) -> None:
        """The event's (or the year's) transparency report, published, so that its
        public page is there to visit."""
        page = self.page(role)
        page.goto(self.base + path)
        fields = {"prose": "A11Y: what the year was like.", "threshold": "5"}
        submit(page, Submit('main form:has([name="prose"])', fields), {})
        submit(page, Submit('main form:has(input[name="action"][value="publish"])'), {})

    def _add_channel(self, role, address: str) -> None:
        """An alert channel of the role's own, so their channels page lists one."""
        page = self.page(role)
        page.goto(self.base + reverse("notify:channels"))
        fields = {"kind": "email", "target": address, "is_primary": True}
        submit(page, Submit("main form:has([name=target])", fields), {})
        expect(page.locator("main")).to_contain_text(address)

    def _member_id(self, username: str) -> int:
        page = self.page(ORGANISER)
        page.goto(self.base + reverse("staff:roster", kwargs={"slug": EVENT}))
        row = page.locator("main li").filter(has_text=username)
        href = row.locator("a[href*='/staff/']").first.get_attribute("href")
        return int(re.search(r"/staff/(\d+)/", href).group(1))

    def _intake_channel_id(self, address: str) -> int:
        page = self.page(ORGANISER)
        page.goto(self.base + reverse("staff:channels", kwargs={"slug": EVENT}))
        row = page.locator("main li").filter(has_text=address)
        href = row.locator("a[href*='/channels/']").first.get_attribute("href")
        return int(re.search(r"/channels/(\d+)/", href).group(1))

    def _open_password_link(self, username: str) -> str:
        """Ask for a password link as a visitor, open it from the e-mail; its account id."""
        address = f"{username}@pycon-demo.example"
        page = self.page(None)
        page.goto(self.base + reverse("accounts:forgot_password"))
        submit(page, Submit("main form", {"email": address}), {})
        link = re.compile(r"/staff/password/set/[^/\s]+/[^/\s]+/")

        def links(messages):
            return [
                found.group(0)
                for m in messages
                if address in m.envelope_to and (found := link.search(m.body))
            ]

        path = links(self.mail.wait_for(links))[-1]
        page.goto(self.base + path)  # moves the token into the session
        return re.search(r"/set/([^/]+)/set-password/", page.url).group(1)

    # --- visiting -------------------------------------------------------------------------

    def url(self, visit: Visit) -> str:
        if visit.name is None:
            return self.base + visit.path
        kwargs = {name: filled(value, self.ids) for name, value in visit.kwargs.items()}
        path = reverse(visit.name, kwargs=kwargs)
        return self.base + path + (f"?{visit.query}" if visit.query else "")

    def open(self, visit: Visit, language: str) -> tuple[Page, list[str]]:
        """Reach the visit's state in ``language``; the page and what went wrong on the way."""
        page = self.page(visit.role)
        self.speak(visit.role, language)
        problems = []
        response = page.goto(self.url(visit))
        if response is None or response.status != visit.status:
            got = response.status if response else "nothing"
            problems.append(f"GET answered {got}, not {visit.status}")
        for step in visit.steps:
            if isinstance(step, ForgetCookie):
                page.context.clear_cookies(name=step.name)
                continue
            if not page.locator(step.form).count():
                problems.append(f"no form {step.form} to send")
                return page, problems
            submit(page, step, self.ids)
        if visit.errors and not page.locator(f"main :is({ERROR_MARKERS})").count():
            problems.append("no error is shown")
        if visit.shows and not page.locator(visit.shows).count():
            problems.append(f"nothing matches {visit.shows}")
        html = page.locator("html")
        lang, direction = html.get_attribute("lang") or "", html.get_attribute("dir")
        if not lang.lower().startswith(language):
            problems.append(f'<html lang="{lang}">, not {language}')
        if direction != RIGHT_TO_LEFT.get(language, "ltr"):
            problems.append(f'<html dir="{direction}"> in {language}')
        return page, problems


def submit(page: Page, step: Submit, ids: dict) -> None:
    values = {name: filled(value, ids) for name, value in step.fill.items()}
    with page.expect_navigation():
        page.locator(step.form).first.evaluate(_SUBMIT, values)
