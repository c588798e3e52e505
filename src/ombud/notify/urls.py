from django.urls import path

from ombud.notify import views

app_name = "notify"
urlpatterns = [path("channels/", views.channels, name="channels")]
