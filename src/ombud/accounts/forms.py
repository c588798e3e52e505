from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from ombud.web.forms import Form, NoLabelSuffix


class LoginForm(NoLabelSuffix, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("That username and password do not match. Both are case-sensitive."),
    }


class ForgotPasswordForm(Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
