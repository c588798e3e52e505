from django.urls import path

from ombud.transparency import views

app_name = "transparency"
urlpatterns = [
    path("e/<slug:slug>/transparency/", views.public_event_report, name="public_event"),
    path(
        "o/<slug:org_slug>/transparency/<int:year>/",
        views.public_organisation_report,
        name="public_organisation",
    ),
    path("staff/events/<slug:slug>/transparency/", views.manage_event, name="event"),
    path(
        "staff/manage/org/<slug:org_slug>/transparency/<int:year>/",
        views.manage_organisation,
        name="organisation",
    ),
]
