from django.urls import path

from ombud.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/forgot/", views.forgot_password, name="forgot_password"),
    path("password/set/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="set_password"),
]
