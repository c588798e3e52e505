from django.urls import path

from ombud.attendees import views

app_name = "attendees"
urlpatterns = [
    path("events/<slug:slug>/attendees/", views.lists, name="lists"),
    path("events/<slug:slug>/attendees/pretix/", views.import_pretix, name="import_pretix"),
    path("events/<slug:slug>/attendees/pretalx/", views.import_pretalx, name="import_pretalx"),
    path("events/<slug:slug>/attendees/csv/", views.import_csv, name="import_csv"),
    path("events/<slug:slug>/attendees/ban-matches/", views.ban_matches, name="ban_matches"),
]
