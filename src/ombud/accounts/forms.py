from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from ombud.web import ratelimit
from ombud.web.forms import Form, NoLabelSuffix


class LoginForm(NoLabelSuffix, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("That username and password do not match. Both are case-sensitive."),
        "throttled": _("Too many failed sign-ins for this account. Wait a few minutes."),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if username and ratelimit.exceeded_login(self.request, username):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            return super().clean()
        except forms.ValidationError:
            if username:
                ratelimit.login_failed(self.request, username)
            raise


class ForgotPasswordForm(Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)


class CodeForm(Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        help_text=_(
            "The 6 digits your authenticator app shows now, or one of your recovery codes."
        ),
    )


class PasswordAgainForm(Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
