from django.urls import path, register_converter

from ombud.transparency import views


class YearConverter:
    """A calendar year of four digits: any other number is no page (and no date overflow)."""

    regex = "[12][0-9]{3}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{int(value):04d}"


register_converter(YearConverter, "year")

app_name = "transparency"
urlpatterns = [
    path("e/<slug:slug>/transparency/", views.public_event_report, name="public_event"),
    path(
        "o/<slug:org_slug>/transparency/<year:year>/",
        views.public_organisation_report,
        name="public_organisation",
    ),
    path("staff/events/<slug:slug>/transparency/", views.manage_event, name="event"),
    path(
        "staff/manage/org/<slug:org_slug>/transparency/<year:year>/",
        views.manage_organisation,
        name="organisation",
    ),
]
