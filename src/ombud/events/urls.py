from django.urls import path

from ombud.events import views

app_name = "events"
urlpatterns = [
    path("<slug:slug>/", views.event_page, name="public"),
]
