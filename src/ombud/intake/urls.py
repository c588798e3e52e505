from django.urls import path

from ombud.intake import views

app_name = "intake"
urlpatterns = [
    path("<slug:slug>/report/", views.report, name="report"),
]
