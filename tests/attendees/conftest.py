import pytest

from tests.attendees.fake_ticketing import (
    FakeTicketing,
    pretalx_speaker,
    pretix_order,
    pretix_position,
)

TOKEN = "pretix-token-8c1f5e0a9b"
CANARY = "Xanthippe Quillfeather"


@pytest.fixture
def ticketing():
    fake = FakeTicketing(TOKEN).start()
    # Seven orders over four pages of two: paid, pending, an add-on, and ones not counted.
    fake.orders = [
        pretix_order(
            "ABC12",
            "p",
            positions=[
                pretix_position("ABC12", 1, name=CANARY, email="xq@example.org", secret="s3cr3tqx"),
                pretix_position("ABC12", 2, name="Bo Brandt", secret="s3cr3tbb"),
                pretix_position("ABC12", 3, name="", secret="tshirt", addon_to=1),
            ],
        ),
        pretix_order(
            "DEF34",
            "n",
            email="cyd@example.org",
            positions=[pretix_position("DEF34", 1, name="Cyd Cole", secret="s3cr3tcc")],
        ),
        pretix_order(
            "GHI56", "c", positions=[pretix_position("GHI56", 1, name="Dee Gone", secret="x1")]
        ),
        pretix_order(
            "JKL78", "e", positions=[pretix_position("JKL78", 1, name="Eve Late", secret="x2")]
        ),
        pretix_order(
            "MNO90",
            "p",
            testmode=True,
            positions=[pretix_position("MNO90", 1, name="Tess Test", secret="x3")],
        ),
        pretix_order(
            "PQR11",
            "p",
            positions=[pretix_position("PQR11", 1, name="Fay Fine", secret="s3cr3tff")],
        ),
        pretix_order(
            "STU22",
            "p",
            positions=[pretix_position("STU22", 1, name="Gus Good", secret="s3cr3tgg")],
        ),
    ]
    fake.speakers = [
        pretalx_speaker("SPK1A", "Hal Harper", "hal@example.org"),
        pretalx_speaker("SPK2B", "Ivy Irons"),
        pretalx_speaker("SPK3C", CANARY, "xq@example.org"),
    ]
    yield fake
    fake.stop()


def import_pretix(event, fake, by, **extra):
    from ombud.attendees.services import imports  # noqa: PLC0415 -- after Django is set up

    settings = {
        "base_url": fake.url,
        "organizer": fake.organizer,
        "remote_event": fake.event,
        "token": TOKEN,
    }
    settings.update(extra)
    return imports.from_pretix(event, by=by, **settings)


def import_pretalx(event, fake, by, **extra):
    from ombud.attendees.services import imports  # noqa: PLC0415 -- after Django is set up

    settings = {"base_url": fake.url, "remote_event": fake.event, "token": TOKEN}
    settings.update(extra)
    return imports.from_pretalx(event, by=by, **settings)


# The decisions tests' acknowledged case and key-holding team, for bans and respondents.
from tests.decisions.conftest import case, keyed  # noqa: E402, F401 -- fixtures
