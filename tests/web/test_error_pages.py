"""The error pages speak the visitor's language, with the right direction, like every
other page (the 500 page has no base template to do it for it)."""

import pytest
from django.test import RequestFactory
from django.utils import translation

from ombud.web import errors


@pytest.mark.parametrize(
    ("handler", "status"),
    [(errors.server_error, 500), (errors.page_not_found, 404), (errors.bad_request, 400)],
)
@pytest.mark.parametrize(("language", "direction"), [("en", "ltr"), ("ar", "rtl"), ("ja", "ltr")])
def test_error_pages_carry_the_language_and_its_direction(db, handler, status, language, direction):
    request = RequestFactory().get("/")
    with translation.override(language):
        response = handler(request) if handler is errors.server_error else handler(request, None)
    assert response.status_code == status
    assert f'<html lang="{language}" dir="{direction}">' in response.content.decode()
