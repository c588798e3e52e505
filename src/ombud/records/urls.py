from django.urls import path

from ombud.records import views

app_name = "records"
urlpatterns = [
    path("manage/org/<slug:org_slug>/retention/", views.policy_page, name="policy"),
    path("records/<slug:org_slug>/expunge/", views.purges, name="purges"),
    path("cases/<uuid:case_id>/retention/", views.case_retention, name="case_retention"),
]
