"""Audited services of transparency reports: an event's (its leads) and an
organisation-year's (its organiser admins)."""

from ombud.transparency import services
from tests.audit.catalogue import Call, audited, fresh


def _year(cast):
    return services.for_organisation(cast.event.organisation, cast.event.starts_on.year)


def _drafted(report, by):
    report = services.compute(report, by=by)
    return services.save_text(report, prose="What the year was like.", threshold=5, by=by)


@audited(services.compute, "transparency.drafted", case="event")
def count_an_events_numbers(cast):
    return Call(lambda: services.compute(services.for_event(cast.event), by=cast.lead), cast.lead)


@audited(services.compute, "organisation.transparency_drafted", case="organisation-year")
def count_a_years_numbers(cast):
    return Call(lambda: services.compute(_year(cast), by=cast.admin), cast.admin)


@audited(services.save_text, "transparency.text_changed", "transparency.drafted", case="first text")
def write_a_first_text(cast):
    return Call(
        lambda: services.save_text(
            services.for_event(cast.event), prose="Our event.", threshold=5, by=cast.lead
        ),
        cast.lead,
    )


@audited(services.save_text, "organisation.transparency_text_changed", case="organisation-year")
def change_a_years_text(cast):
    report = _drafted(_year(cast), cast.admin)
    return Call(
        lambda: services.save_text(fresh(report), prose="Changed.", threshold=5, by=cast.admin),
        cast.admin,
    )


@audited(services.publish, "transparency.published", case="event")
def publish_an_events_report(cast):
    report = _drafted(services.for_event(cast.event), cast.lead)
    return Call(lambda: services.publish(fresh(report), by=cast.lead), cast.lead)


@audited(services.publish, "organisation.transparency_published", case="organisation-year")
def publish_a_years_report(cast):
    report = _drafted(_year(cast), cast.admin)
    return Call(lambda: services.publish(fresh(report), by=cast.admin), cast.admin)


@audited(services.unpublish, "transparency.unpublished", case="event")
def unpublish_an_events_report(cast):
    report = services.publish(_drafted(services.for_event(cast.event), cast.lead), by=cast.lead)
    return Call(lambda: services.unpublish(fresh(report), by=cast.lead), cast.lead)


@audited(services.unpublish, "organisation.transparency_unpublished", case="organisation-year")
def unpublish_a_years_report(cast):
    report = services.publish(_drafted(_year(cast), cast.admin), by=cast.admin)
    return Call(lambda: services.unpublish(fresh(report), by=cast.admin), cast.admin)
