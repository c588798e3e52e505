from django.urls import path

from ombud.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cases/<uuid:case_id>/", views.detail, name="detail"),
    path(
        "cases/<uuid:case_id>/attachments/<uuid:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    path("cases/<uuid:case_id>/summary/", views.summary, name="summary"),
    path("events/<slug:slug>/overview/", views.event_overview, name="overview"),
    path("manage/events/<slug:slug>/categories/", views.event_categories, name="categories"),
    path("events/<slug:slug>/handover/", views.handover, name="handover"),
    path("events/<slug:slug>/flood/", views.flood, name="flood"),
    path("alerts/<uuid:message_id>/retry/", views.retry_alert, name="retry_alert"),
    path("keys/<int:member_id>/confirm/", views.confirm_key, name="confirm_key"),
]
