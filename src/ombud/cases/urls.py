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
    path("alerts/<uuid:message_id>/retry/", views.retry_alert, name="retry_alert"),
]
