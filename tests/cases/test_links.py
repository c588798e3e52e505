"""The links in alerts and answers: worked out once, the same as reverse() gives."""

import uuid

import pytest
from django.conf import settings
from django.urls import clear_script_prefix, reverse, set_script_prefix

from ombud.cases.services import alerts, replies


@pytest.fixture
def prefix():
    yield set_script_prefix
    clear_script_prefix()


@pytest.mark.parametrize("script_prefix", ["/", "/ombud/"])
def test_a_case_link_is_the_case_pages_path_for_every_case(prefix, script_prefix):
    prefix(script_prefix)
    for pk in (uuid.uuid4(), uuid.uuid4(), uuid.UUID(int=0)):
        case = type("Case", (), {"pk": pk})()
        path = alerts.case_path(case)
        assert path == reverse("cases:detail", args=[pk])
        assert path.startswith(script_prefix)
        assert str(pk) in path


@pytest.mark.parametrize("script_prefix", ["/", "/ombud/"])
def test_the_follow_up_link_follows_the_script_prefix(prefix, script_prefix):
    prefix(script_prefix)
    assert replies.followup_url() == settings.BASE_URL + reverse("receipt:followup")
    assert replies.followup_url().endswith(reverse("receipt:followup"))


def test_a_case_link_is_refused_for_what_is_not_a_case_id():
    for pk in (None, "../admin", "1"):
        case = type("Case", (), {"pk": pk})()
        with pytest.raises(ValueError, match="hexadecimal UUID"):
            alerts.case_path(case)
