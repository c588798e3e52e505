from django.urls import path

from ombud.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("login/verify/", views.verify, name="verify"),
    path("login/again/", views.reauth, name="reauth"),
    path("2fa/setup/", views.setup_2fa, name="setup_2fa"),
    path("security/", views.security, name="security"),
    path("security/password/", views.change_password, name="change_password"),
    path("security/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("password/forgot/", views.forgot_password, name="forgot_password"),
    path("password/set/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="set_password"),
]
