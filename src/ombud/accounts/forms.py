from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from ombud.accounts import services, signin
from ombud.web.forms import ErrorSummary, Form, NoLabelSuffix


class LoginForm(ErrorSummary, NoLabelSuffix, AuthenticationForm):
    """Username and password; past the failed-sign-in limit, the code in the same step.

    ``throttled`` says which of the two the page shows; ``device`` is the
    second factor checked with the password, if it was (``accounts.signin``).
    """

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=_(
            "The 6 digits your app shows now, or one of your recovery codes. "
            "Without an authenticator app, try again later: the limit ends within the hour."
        ),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("That username and password do not match. Both are case-sensitive."),
        # One message for every failure past the limit: it must not tell a guesser
        # whether the password was right.
        "throttled": _(
            "Too many failed sign-ins for this account. To sign in now, enter your "
            "password and the code from your authenticator app together."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.throttled = False
        self.device = None

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if signin.throttled(self.request, username):
            self._throttle()
            try:
                self.user_cache, self.device = signin.past_throttle(
                    self.request,
                    username,
                    self.cleaned_data.get("password") or "",
                    self.cleaned_data.get("code") or "",
                )
            except signin.Throttled:
                raise forms.ValidationError(
                    self.error_messages["throttled"], code="throttled"
                ) from None
            return self.cleaned_data
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if signin.failed(self.request, username):
                # That was the last try with the password alone: ask for both now.
                self._throttle()
                raise forms.ValidationError(
                    self.error_messages["throttled"], code="throttled"
                ) from None
            raise
        code = cleaned.get("code")
        if code and self.user_cache is not None:
            # A code sent with the right password (the limit ended meanwhile) is not lost:
            # a right one spares the second step, a wrong one leads to it as usual.
            self.device = signin.second_factor(self.user_cache, code)
        return cleaned

    def _throttle(self):
        self.throttled = True
        # The username is kept; the password (never shown again) is what to type next.
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.fields["password"].widget.attrs["autofocus"] = True


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


class SetPasswordForm(ErrorSummary, NoLabelSuffix, auth_forms.SetPasswordForm):
    """A password chosen from an e-mailed link; saving it is the reset use case."""

    def save(self, commit=True):
        services.reset_password(self.user, self.cleaned_data["new_password1"])
        return self.user


class ChangePasswordForm(ErrorSummary, NoLabelSuffix, auth_forms.PasswordChangeForm):
    pass


class LanguageForm(Form):
    language = forms.ChoiceField(
        label=_("Language of your pages and alerts"),
        choices=[
            ("", _("Same as my browser (alerts in each event's language)")),
            *settings.LANGUAGES,
        ],
        required=False,
    )
