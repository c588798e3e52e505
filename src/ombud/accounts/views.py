from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from ombud.accounts.forms import ForgotPasswordForm, LoginForm
from ombud.accounts.services import send_password_link
from ombud.web.forms import NoLabelSuffix


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class SetPasswordForm(NoLabelSuffix, auth_forms.SetPasswordForm):
    pass


class SetPasswordView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/set_password.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("accounts:login")
    post_reset_login = False


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def forgot_password(request):
    form = ForgotPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_model = get_user_model()
        for user in user_model.objects.filter(
            email__iexact=form.cleaned_data["email"], is_active=True
        ):
            send_password_link(user)
        # The same answer whether or not the address is known.
        return render(request, "accounts/forgot_password_sent.html")
    return render(request, "accounts/forgot_password.html", {"form": form})
