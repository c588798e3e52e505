from django.urls import path

from ombud.decisions import views

app_name = "decisions"
urlpatterns = [
    path("cases/<uuid:case_id>/decision/propose/", views.propose, name="propose"),
    path("cases/<uuid:case_id>/decision/approve/", views.approve, name="approve"),
    path("cases/<uuid:case_id>/decision/final/", views.make_final, name="make_final"),
    path("cases/<uuid:case_id>/decision/withdraw/", views.withdraw, name="withdraw"),
    path("cases/<uuid:case_id>/decision/appeal/", views.appeal, name="appeal"),
    path("cases/<uuid:case_id>/decision/appeal/review/", views.review, name="review"),
    path(
        "manage/events/<slug:slug>/decision-rules/",
        views.approval_rules_page,
        name="rules",
    ),
    path("events/<slug:slug>/desk-check/", views.desk_check, name="desk_check"),
]
