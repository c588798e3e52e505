"""Who may do what with an event's attendee and speaker lists, defined once."""

from ombud.cases.rules import is_lead, is_organiser_admin


def may_manage_lists(user, event) -> bool:
    """Connect pretix or pretalx and import (or upload a CSV): the event's incident leads
    and the organisation's admins, who hold the ticket shop's keys. The page shows how
    many people are listed and how the last import went - never who they are."""
    return is_lead(user, event) or is_organiser_admin(user, event)


def may_see_ban_matches(user, event) -> bool:
    """Which attendees or speakers are on the ban list: the event's incident leads only
    (not responders, the desk, staff or organiser admins who are not leads)."""
    return is_lead(user, event)
