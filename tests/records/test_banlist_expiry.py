"""Ban-list entries stop matching after their own expiry date; their keyed digests
are deleted when the case's retention passes (the ban's end plus the policy's months)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ombud.decisions.models import BanEntry, BanIdentifier
from ombud.decisions.services import banlist
from ombud.records.services import expiry, purge
from tests.records.helpers import ban_entry, close, decided, keyed, open_case

pytestmark = pytest.mark.django_db

NAME = "Quentin Quorn"


def _banned(cast, ends):
    case = open_case(keyed(cast))
    decided(cast, case, "ban", ban_until=ends, identity={"name": NAME, "badge": "", "email": ""})
    return close(cast, case, timezone.now())


def test_an_entry_matches_through_its_last_day_and_not_after(cast):
    ends = timezone.localdate() + timedelta(days=20)
    _banned(cast, ends)
    assert banlist.is_banned(cast.event, NAME, today=ends)
    assert not banlist.is_banned(cast.event, NAME, today=ends + timedelta(days=1))


def test_the_digests_of_an_expired_ban_go_with_its_case_at_the_end_of_retention(cast):
    ends = timezone.localdate() + timedelta(days=20)
    case = _banned(cast, ends)
    due = expiry.expiry_of(case).on
    assert due == expiry.add_months(ends, 12)
    # Expired but not yet past retention: kept (no match at the desk, though).
    during = timezone.now() + timedelta(days=60)
    purge.make_preview(cast.event.organisation, now=during)
    assert (
        purge.purge(purge.ripe_items(during + purge.GRACE), now=during + purge.GRACE).purged == []
    )
    assert BanIdentifier.objects.filter(entry=ban_entry(case)).exists()
    later = timezone.now() + timedelta(days=(due - timezone.localdate()).days + 1)
    purge.make_preview(cast.event.organisation, now=later - purge.GRACE)
    assert purge.purge(purge.ripe_items(later), now=later).purged == [case.pk]
    assert not BanIdentifier.objects.filter(entry=ban_entry(case)).exists()
    entry = BanEntry.objects.get(decision__case=case)  # the metadata stays
    assert entry.expires_on == ends


def test_a_permanent_ban_is_never_previewed_while_in_force(cast):
    case = open_case(keyed(cast))
    decided(cast, case, "ban", identity={"name": NAME, "badge": "", "email": ""})
    close(cast, case, timezone.now() - timedelta(days=3000))
    preview = purge.make_preview(cast.event.organisation)
    assert not preview.items.exists()
    assert banlist.is_banned(cast.event, NAME)
