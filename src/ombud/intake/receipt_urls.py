from django.urls import path

from ombud.intake import views

app_name = "receipt"
urlpatterns = [
    path("", views.followup, name="followup"),
    path("save/", views.save_receipt, name="save"),
]
