from django.urls import path

from ombud.records import withdrawal_views

app_name = "withdrawal"
urlpatterns = [
    path("withdraw/", withdrawal_views.withdraw, name="withdraw"),
]
