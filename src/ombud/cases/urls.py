from django.urls import path

from ombud.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cases/<uuid:case_id>/", views.detail, name="detail"),
]
