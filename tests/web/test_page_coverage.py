"""Every page Ombud serves has an axe check: each URL name of the resolver (the API
and static files aside) is visited by ``tests/browser/pages.py`` or listed there as
not a page, with the reason. Like the access matrix's completeness guard, a new
page fails here until someone says how the browser tests reach it."""

import pytest
from django.urls import NoReverseMatch, reverse

from tests.browser.pages import NO_ERROR_STATE, NOT_PAGES, ROLES, VISITS, filled, names
from tests.security.test_access_matrix import _registered


def _site_names() -> dict[str, tuple]:
    """URL name -> its kwargs, for every URL but the API's."""
    return {
        name: kwargs
        for name, route, kwargs in _registered()
        if not route.startswith("api/") and not name.startswith("api:")
    }


def test_every_page_has_an_axe_check():
    visited = names()
    missing = sorted(set(_site_names()) - visited - set(NOT_PAGES))
    assert not missing, (
        f"pages without a visit in tests/browser/pages.py (or a reason in NOT_PAGES): {missing}"
    )


def test_the_registry_names_only_pages_that_exist():
    site = _site_names()
    stale = sorted((names() | set(NOT_PAGES) | set(NO_ERROR_STATE)) - set(site))
    assert not stale, f"tests/browser/pages.py names URLs that no longer exist: {stale}"
    both = sorted(names() & set(NOT_PAGES))
    assert not both, f"both visited and listed as not a page: {both}"
    assert all(reason.strip() for reason in (*NOT_PAGES.values(), *NO_ERROR_STATE.values()))


def test_every_page_is_checked_as_first_loaded():
    """Each page's own state before any form is sent, which the reflow test walks."""
    loaded = {visit.name for visit in VISITS if visit.name and visit.empty}
    assert names() <= loaded, sorted(names() - loaded)


# Ids of the shape the demo's world gives (tests/browser/visits.py makes the real ones).
SAMPLE_WORLD = {
    "case_id": "00000000-0000-4000-8000-000000000001",
    "new_case_id": "00000000-0000-4000-8000-000000000002",
    "decided_case_id": "00000000-0000-4000-8000-000000000003",
    "receipt": "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG",
    "member_id": 7,
    "intake_channel_id": 3,
    "uidb64": "Nw",
    "year": 2026,
}


@pytest.mark.parametrize("visit", VISITS, ids=lambda visit: visit.label)
def test_each_visit_can_be_made(visit):
    assert visit.role in ROLES
    assert visit.languages, visit.label
    assert set(visit.languages) <= {"en", "ar"}, visit.label
    if visit.name is None:
        assert visit.path.startswith("/"), visit.label
        return
    kwargs = {name: filled(value, SAMPLE_WORLD) for name, value in visit.kwargs.items()}
    try:
        reverse(visit.name, kwargs=kwargs)
    except NoReverseMatch as exc:
        pytest.fail(f"{visit.label}: {exc}")
