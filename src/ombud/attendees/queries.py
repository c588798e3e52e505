"""Finding listed people by keyed hashes alone: nothing here opens a seal, so the ban
list's desk check can use it (``decisions.services.banlist``) without learning names."""

from django.db.models import Q

from ombud.attendees.models import Person, PersonTag


def _wanted(tags) -> Q:
    wanted = Q()
    for kind, digest in tags:
        wanted |= Q(kind=kind, digest=digest)
    return wanted


def people_with(event, tags):
    """The event's listed people who have any of ``tags`` ((kind, digest) pairs)."""
    tags = list(tags)
    if not tags:
        return Person.objects.none()
    matching = PersonTag.objects.filter(_wanted(tags), event=event).values("person_id")
    return Person.objects.filter(pk__in=matching)


def tags_of_people_with(event, tags) -> list[tuple[str, str]]:
    """Every identifier of the people ``tags`` resolve to: a badge typed at the desk
    brings the name and address it was sold to (all still keyed hashes)."""
    tags = list(tags)
    if not tags:
        return []
    people = PersonTag.objects.filter(_wanted(tags), event=event).values("person_id")
    return list(
        PersonTag.objects.filter(event=event, person_id__in=people)
        .values_list("kind", "digest")
        .distinct()
    )


def people_with_ids(ids):
    return Person.objects.filter(pk__in=list(ids))
