"""Importing from a fake pretix and pretalx with the real APIs' shapes, and from CSV:
the whole list or nothing, the old list kept on any failure, the reason stored."""

import socket
import time

import pytest

from ombud.attendees.models import ImportSource, Kind, PeopleList, Person, PersonTag
from ombud.attendees.services import imports, matching, store
from ombud.attendees.services.sources import ImportFailed
from ombud.audit.models import Entry
from tests.attendees.conftest import CANARY, TOKEN, import_pretalx, import_pretix

pytestmark = pytest.mark.django_db


def _names(event, kind=Kind.ATTENDEES) -> list[str]:
    people_list = PeopleList.objects.get(event=event, kind=kind)
    return sorted(store.opened(p, people_list).name for p in people_list.people.all())


def test_pretix_import_reads_every_page_with_the_token(cast, ticketing):
    import_pretix(cast.event, ticketing, cast.lead)
    # Paid and pending orders' admission positions; not the add-on, nor canceled,
    # expired or test-mode orders.
    assert _names(cast.event) == ["Bo Brandt", "Cyd Cole", "Fay Fine", "Gus Good", CANARY]
    assert len(ticketing.requests) == 4  # seven orders, two a page
    assert {auth for _path, auth in ticketing.requests} == {f"Token {TOKEN}"}
    source = ImportSource.objects.get(event=cast.event, kind=Kind.ATTENDEES)
    assert source.last_ok
    assert source.last_message == "Imported 5 attendees."
    assert Entry.objects.filter(action="attendees.imported").count() == 1


def test_a_pretix_position_without_an_email_gets_the_buyers(cast, ticketing):
    import_pretix(cast.event, ticketing, cast.lead)
    (cyd,) = matching.resolve(cast.event, name="cyd cole")
    assert cyd.email == "cyd@example.org"
    assert cyd.badge == "DEF34-1"


def test_pretalx_import_reads_speakers(cast, ticketing):
    import_pretalx(cast.event, ticketing, cast.lead)
    assert _names(cast.event, Kind.SPEAKERS) == ["Hal Harper", "Ivy Irons", CANARY]
    assert len(ticketing.requests) == 2
    assert not PeopleList.objects.filter(event=cast.event, kind=Kind.ATTENDEES).exists()


def test_a_reimport_replaces_the_list(cast, ticketing):
    import_pretix(cast.event, ticketing, cast.lead)
    ticketing.orders = ticketing.orders[-1:]
    import_pretix(cast.event, ticketing, cast.lead)
    assert _names(cast.event) == ["Gus Good"]
    assert Person.objects.count() == 1
    assert not matching.resolve(cast.event, badge="ABC12-1")
    assert PersonTag.objects.filter(person__isnull=True).count() == 0


@pytest.mark.parametrize(
    ("fail", "reason"),
    [
        ("500", "pretix answered with an error (HTTP 500); try again later."),
        ("malformed", "The answer from pretix was not understood."),
        ("offsite", "pretix pointed to another server for the next page; refused."),
    ],
)
def test_a_failed_import_keeps_the_old_list_and_says_why(cast, ticketing, fail, reason):
    import_pretix(cast.event, ticketing, cast.lead)
    ticketing.fail = fail
    with pytest.raises(ImportFailed, match=reason.replace("(", r"\(").replace(")", r"\)")):
        import_pretix(cast.event, ticketing, cast.lead)
    assert len(_names(cast.event)) == 5
    source = ImportSource.objects.get(event=cast.event, kind=Kind.ATTENDEES)
    assert not source.last_ok
    assert source.last_message == reason
    assert Entry.objects.filter(action="attendees.import_failed").count() == 1


def test_a_wrong_token_is_refused_and_the_old_list_stays(cast, ticketing):
    import_pretix(cast.event, ticketing, cast.lead)
    with pytest.raises(ImportFailed, match="refused the API token"):
        import_pretix(cast.event, ticketing, cast.lead, token="wrong")
    assert ticketing.requests[-1][1] == "Token wrong"
    assert len(_names(cast.event)) == 5


def test_an_unreachable_server_keeps_the_old_list(cast, ticketing):
    import_pretix(cast.event, ticketing, cast.lead)
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(ImportFailed, match="could not be reached"):
        import_pretix(cast.event, ticketing, cast.lead, base_url=f"http://127.0.0.1:{port}")
    assert len(_names(cast.event)) == 5
    assert "could not be reached" in ImportSource.objects.get(event=cast.event).last_message


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("http://{host}", "only https URLs are allowed"),
        ("https://{host}", "the host resolves to a private address"),
    ],
)
def test_in_production_the_token_goes_only_over_https_to_a_public_server(
    cast, ticketing, settings, address, why
):
    import_pretix(cast.event, ticketing, cast.lead)
    asked = len(ticketing.requests)
    settings.ALLOW_PRIVATE_WEBHOOKS = False
    base_url = address.format(host=ticketing.url.split("://", 1)[1])
    with pytest.raises(ImportFailed, match=f"This address cannot be used: {why}."):
        import_pretix(cast.event, ticketing, cast.lead, base_url=base_url)
    assert len(ticketing.requests) == asked  # the token was never sent
    assert len(_names(cast.event)) == 5
    source = ImportSource.objects.get(event=cast.event, kind=Kind.ATTENDEES)
    assert source.last_message == f"This address cannot be used: {why}."


@pytest.mark.parametrize("production", [True, False])
@pytest.mark.parametrize(
    "refusal",
    [
        ("https://pretix.example:99999", "This address cannot be used: not a valid URL."),
        # A name IDNA cannot encode (a label over 63 characters).
        ("https://" + "ä" * 60 + ".example", None),
    ],
)
def test_an_address_that_cannot_be_called_is_refused_and_kept_as_the_reason(
    cast, ticketing, settings, production, refusal
):
    base_url, why = refusal
    import_pretix(cast.event, ticketing, cast.lead)
    settings.ALLOW_PRIVATE_WEBHOOKS = not production
    with pytest.raises(ImportFailed) as refused:
        import_pretix(cast.event, ticketing, cast.lead, base_url=base_url)
    if why is None:  # refused by the check in production, by the HTTP client otherwise
        why = (
            "This address cannot be used: the host name does not resolve."
            if production
            else "pretix could not be reached: check the address."
        )
    assert str(refused.value) == why
    assert len(_names(cast.event)) == 5
    source = ImportSource.objects.get(event=cast.event, kind=Kind.ATTENDEES)
    assert source.last_message == str(refused.value)


def test_the_token_is_sealed_kept_for_the_same_server_and_asked_again_for_another(cast, ticketing):
    import_pretix(cast.event, ticketing, cast.lead)
    source = ImportSource.objects.get(event=cast.event)
    assert TOKEN.encode() not in bytes(source.sealed_token)
    import_pretix(cast.event, ticketing, cast.lead, token="")  # the saved one
    assert ticketing.requests[-1][1] == f"Token {TOKEN}"
    # Pointed at another server, the saved token does not go there.
    with pytest.raises(imports.NeedsToken):
        import_pretix(cast.event, ticketing, cast.lead, token="", base_url="http://localhost:1")


CSV_GOOD = (
    "Name,E-mail,Badge,Kind\n"
    f"{CANARY},xq@example.org,B-100,attendee\n"
    "Hal Harper,hal@example.org,SPK1A,speaker\n"
    "Jo Jones,,B-101,\n"
    ",,,\n"
)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_csv_with_or_without_bom_fills_the_lists_it_has_people_for(cast, bom):
    imports.from_csv(cast.event, bom + CSV_GOOD.encode(), default_kind=Kind.ATTENDEES, by=cast.lead)
    assert _names(cast.event) == ["Jo Jones", CANARY]
    assert _names(cast.event, Kind.SPEAKERS) == ["Hal Harper"]
    (jo,) = matching.resolve(cast.event, badge="b101")
    assert jo.name == "Jo Jones"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            b"name,email,badge\nAnn,a@example.org,1\nB\xe9a,b@example.org,2\n",
            "Line 3 is not UTF-8 text",
        ),
        (b"name,badge\nAnn,1\n", "Line 1 (the header) lacks these columns: email"),
        (b"name,email,badge,kind\nAnn,a@example.org,1,visitor\n", "Line 2: the kind"),
        (b"", "The file is empty."),
    ],
)
def test_a_bad_csv_is_refused_with_its_line_and_nothing_is_replaced(cast, data, reason):
    imports.from_csv(cast.event, CSV_GOOD.encode(), default_kind=Kind.ATTENDEES, by=cast.lead)
    with pytest.raises(ImportFailed, match=reason.replace("(", r"\(").replace(")", r"\)")):
        imports.from_csv(cast.event, data, default_kind=Kind.ATTENDEES, by=cast.lead)
    assert _names(cast.event) == ["Jo Jones", CANARY]
    assert ImportSource.objects.get(event=cast.event, kind=Kind.ATTENDEES).last_message.startswith(
        reason
    )


def test_the_canary_name_is_in_no_log_and_not_in_the_database_bytes(cast, ticketing, caplog):
    from django.db import connection  # noqa: PLC0415

    caplog.set_level("DEBUG")
    import_pretix(cast.event, ticketing, cast.lead)
    import_pretalx(cast.event, ticketing, cast.lead)
    imports.from_csv(cast.event, CSV_GOOD.encode(), default_kind=Kind.ATTENDEES, by=cast.lead)
    assert matching.resolve(cast.event, name=CANARY)  # it is there, sealed
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        image = connection.connection.serialize()  # the whole SQLite database, page by page
    else:  # every row of every table, as PostgreSQL prints it
        with connection.cursor() as cursor:
            rows = []
            for table in connection.introspection.table_names(cursor):
                cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608 -- our tables
                rows += [row[0] for row in cursor.fetchall()]
        image = "\n".join(rows).encode()
    for needle in (CANARY, "Quillfeather", "xq@example.org", TOKEN, "s3cr3tqx"):
        assert needle.encode() not in image, needle
        assert needle.lower().encode() not in image.lower(), needle
        assert needle not in caplog.text, needle


def test_five_thousand_attendees_import_in_seconds(cast, ticketing):
    from tests.attendees.fake_ticketing import pretix_order, pretix_position  # noqa: PLC0415

    ticketing.page_size = 50  # pretix's own page size
    ticketing.orders = [
        pretix_order(
            f"O{n:05d}",
            positions=[pretix_position(f"O{n:05d}", 1, name=f"Person {n}", secret=f"sec{n:05d}")],
        )
        for n in range(5000)
    ]
    started = time.monotonic()
    import_pretix(cast.event, ticketing, cast.lead)
    took = time.monotonic() - started
    assert PeopleList.objects.get(event=cast.event).size == 5000
    assert len(ticketing.requests) == 100
    print(f"5,000 attendees imported in {took:.1f} s")


def test_a_csv_upload_leaves_the_pretix_connection_and_its_token(cast, ticketing):
    import_pretix(cast.event, ticketing, cast.lead)
    imports.from_csv(cast.event, CSV_GOOD.encode(), default_kind=Kind.ATTENDEES, by=cast.lead)
    assert PeopleList.objects.get(event=cast.event, kind=Kind.ATTENDEES).source == "csv"
    import_pretix(cast.event, ticketing, cast.lead, token="")  # the saved token still works
    assert len(_names(cast.event)) == 5


def test_an_import_that_takes_too_long_in_all_is_stopped(cast, ticketing, monkeypatch):
    from ombud.attendees.services import sources  # noqa: PLC0415

    import_pretix(cast.event, ticketing, cast.lead)
    monkeypatch.setattr(sources, "DEADLINE_SECONDS", -1)  # past before the first page
    with pytest.raises(ImportFailed, match="took longer than"):
        import_pretix(cast.event, ticketing, cast.lead)
    assert len(_names(cast.event)) == 5


def test_pretalx_refusing_the_token_keeps_the_speakers(cast, ticketing):
    import_pretalx(cast.event, ticketing, cast.lead)
    with pytest.raises(ImportFailed, match="pretalx refused the API token"):
        import_pretalx(cast.event, ticketing, cast.lead, token="nope")
    assert len(_names(cast.event, Kind.SPEAKERS)) == 3


def test_a_clash_with_a_simultaneous_import_keeps_the_list_and_says_so(
    cast, ticketing, monkeypatch
):
    from django.db import IntegrityError  # noqa: PLC0415

    import_pretix(cast.event, ticketing, cast.lead)

    def clash(*args, **kwargs):
        raise IntegrityError("one_list_per_event_and_kind")

    monkeypatch.setattr(store, "replace", clash)
    with pytest.raises(ImportFailed, match="at the same time"):
        import_pretix(cast.event, ticketing, cast.lead)
    assert len(_names(cast.event)) == 5
    assert not ImportSource.objects.get(event=cast.event).last_ok
