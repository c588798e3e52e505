from django.urls import path

from ombud.events import views as event_views
from ombud.intake import channel_views, oral_views
from ombud.intake import views as intake_views
from ombud.staff import views

app_name = "staff"
urlpatterns = [
    path("events/<slug:slug>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("events/<slug:slug>/report/", intake_views.staff_report, name="take_report"),
    path(
        "events/<slug:slug>/report/<uuid:report_id>/receipt/",
        oral_views.send_receipt,
        name="send_receipt",
    ),
    path("events/<slug:slug>/turned-away/", channel_views.turned_away, name="turned_away"),
    path("events/<slug:slug>/rota/", views.rota, name="rota"),
    path("events/<slug:slug>/pocket-card/", event_views.pocket_card, name="pocket_card"),
    path("manage/", event_views.manage, name="manage"),
    path("manage/org/<slug:org_slug>/", event_views.edit_organisation, name="edit_organisation"),
    path("manage/org/<slug:org_slug>/new-event/", event_views.edit_event, name="new_event"),
    path("manage/org/<slug:org_slug>/recovery/", event_views.recovery_key, name="recovery_key"),
    path(
        "manage/org/<slug:org_slug>/recovery/use/",
        event_views.use_recovery_key,
        name="use_recovery_key",
    ),
    path("manage/events/<slug:slug>/", event_views.edit_event, name="edit_event"),
    path(
        "manage/events/<slug:slug>/texts/<str:language>/",
        event_views.edit_event_texts,
        name="event_texts",
    ),
    path("manage/events/<slug:slug>/staff/", views.roster, name="roster"),
    path("manage/events/<slug:slug>/staff/<int:member_id>/", views.member, name="member"),
    path(
        "manage/events/<slug:slug>/staff/<int:member_id>/shifts/<int:shift_id>/delete/",
        views.delete_shift,
        name="delete_shift",
    ),
    path("manage/events/<slug:slug>/briefings/", views.briefings, name="briefings"),
    path("manage/events/<slug:slug>/channels/", channel_views.channels, name="channels"),
    path(
        "manage/events/<slug:slug>/channels/new/<str:kind>/",
        channel_views.channel,
        name="new_channel",
    ),
    path(
        "manage/events/<slug:slug>/channels/<int:intake_channel_id>/",
        channel_views.channel,
        name="channel",
    ),
    path("manage/events/<slug:slug>/poster/", event_views.poster, name="poster"),
]
