import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ombud.accounts import secondfactor, services
from ombud.accounts.decorators import REAUTH_SECONDS, recent_auth_required
from ombud.accounts.forms import (
    ChangePasswordForm,
    CodeForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    PasswordAgainForm,
    SetPasswordForm,
)
from ombud.accounts.models import ApiToken
from ombud.vault import holders, people
from ombud.web import ratelimit
from ombud.web.forms import posted


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.device is not None:
            # Past the failed-sign-in limit the code came with the password: no second step.
            otp_login(self.request, form.device)
        # The password unlocks the person's private key, for this session only.
        user = form.get_user()
        holders.stash(
            self.request, response, user, people.unlock(user, form.cleaned_data["password"])
        )
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttled:
            response.status_code = 429
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        holders.forget(request, response)
        return response


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """A password chosen from an e-mailed link, without the old one: a new key pair.

    Cases sealed to the old key stay closed to this person until a lead opens
    them again (or the organisation's recovery key is used). The page says so.
    """

    template_name = "accounts/set_password.html"
    form_class = SetPasswordForm  # its save() is services.reset_password

    success_url = reverse_lazy("accounts:login")
    post_reset_login = False


@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def forgot_password(request):
    form = ForgotPasswordForm(posted(request))
    if request.method == "POST" and form.is_valid():
        user_model = get_user_model()
        for user in user_model.objects.filter(
            email__iexact=form.cleaned_data["email"], is_active=True
        ):
            services.send_password_link(user)
        # The same answer whether or not the address is known.
        return render(request, "accounts/forgot_password_sent.html")
    return render(request, "accounts/forgot_password.html", {"form": form})


def _next(request, fallback="cases:dashboard") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(fallback)


@login_required
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request):
    """The second step of signing in."""
    if request.user.is_verified():
        return redirect(_next(request))
    form = CodeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            device = secondfactor.verify(request.user, form.cleaned_data["code"])
        except secondfactor.TooSoon:
            form.add_error("code", _("After a wrong code, wait a few seconds before the next."))
        else:
            if device is not None:
                otp_login(request, device)
                return redirect(_next(request))
            form.add_error("code", _("That code is not right, or was used already."))
    return render(
        request,
        "accounts/verify.html",
        {"form": form, "next": _next(request)},
        status=400 if form.errors else 200,
    )


@login_required
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def setup_2fa(request):
    """Enrol an authenticator app; required before reading any report."""
    if secondfactor.has_device(request.user):
        if not request.user.is_verified():
            return redirect("accounts:verify")
        if time.time() - request.session.get("auth_at", 0) > REAUTH_SECONDS:
            # Replacing the authenticator of a signed-in session: the password again.
            return redirect(f"{reverse('accounts:reauth')}?{urlencode({'next': request.path})}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None or request.method != "POST":
        device = secondfactor.start_enrolment(request.user)
    form = CodeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        codes = services.enrol_second_factor(device, form.cleaned_data["code"])
        if codes is not None:
            otp_login(request, device)
            return render(
                request, "accounts/recovery_codes.html", {"codes": codes, "next": _next(request)}
            )
        form.add_error("code", _("That code does not match. Check the app's clock and try again."))
    return render(
        request,
        "accounts/setup_2fa.html",
        {
            "form": form,
            "qr": secondfactor.qr_data_uri(device),
            "secret": secondfactor.secret_base32(device),
            "next": _next(request),
        },
        status=400 if form.errors else 200,
    )


@login_required
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def reauth(request):
    form = PasswordAgainForm(posted(request))
    if request.method == "POST" and form.is_valid():
        username = request.user.get_username()
        if ratelimit.exceeded_login(request, username):
            form.add_error("password", _("Too many wrong passwords. Try again in a while."))
        elif request.user.check_password(form.cleaned_data["password"]):
            request.session["auth_at"] = int(time.time())
            return redirect(_next(request))
        else:
            ratelimit.login_failed(request, username)
            form.add_error("password", _("That is not your password."))
    return render(
        request,
        "accounts/reauth.html",
        {"form": form, "next": _next(request)},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def security(request):
    """Second factor, recovery codes, sessions and API tokens of the signed-in person."""
    user = request.user
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "sign_out_everywhere":
        services.sign_out_everywhere(user)
        logout(request)
        return redirect("accounts:login")
    language_form = LanguageForm(
        request.POST if action == "language" else None, initial={"language": user.language}
    )
    if action == "language" and language_form.is_valid():
        chosen = language_form.cleaned_data["language"]
        services.choose_language(user, chosen)
        messages.success(request, _("Saved."))
        response = redirect("accounts:security")
        # The page language follows at once: a choice made on another page gives way.
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
        return response
    fingerprint, key_matches = services.key_fingerprint(user)
    return render(
        request,
        "accounts/security.html",
        {
            "has_device": secondfactor.has_device(user),
            "required": secondfactor.required_for(user),
            "recovery_left": StaticToken.objects.filter(device__user=user).count(),
            "tokens": ApiToken.objects.live().filter(user=user).count(),
            "fingerprint": fingerprint,
            "key_matches": key_matches,
            "language_form": language_form,
        },
        status=400 if language_form.errors else 200,
    )


@login_required
@recent_auth_required
@require_http_methods(["GET", "HEAD", "POST"])
def recovery_codes(request):
    if request.method == "POST":
        codes = services.renew_recovery_codes(request.user)
        return render(
            request,
            "accounts/recovery_codes.html",
            {"codes": codes, "next": reverse("accounts:security")},
        )
    return render(request, "accounts/recovery_codes_confirm.html")


@login_required
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def change_password(request):
    """Knowing the old password keeps access: the same key, wrapped anew."""
    form = ChangePasswordForm(request.user, posted(request))
    if request.method == "POST" and form.is_valid():
        services.change_password(
            request.user, form.cleaned_data["old_password"], form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(request, form.user)
        messages.success(request, _("Password changed. Your access to cases is unchanged."))
        return redirect("accounts:security")
    return render(
        request, "accounts/change_password.html", {"form": form}, status=400 if form.errors else 200
    )
