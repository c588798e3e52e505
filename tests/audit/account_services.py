"""Audited services of a person's own account: API tokens, sessions, second factor
and password."""

from django_otp.oath import TOTP

from ombud.accounts import secondfactor
from ombud.accounts import services as accounts
from tests import factories
from tests.audit.catalogue import Call, audited, fresh

NEW_PASSWORD = "a different long passphrase"


@audited(accounts.issue_token, "token.issued")
def issue_a_token(cast):
    return Call(lambda: accounts.issue_token(cast.lead, factories.PASSWORD), cast.lead)


@audited(accounts.revoke_token, "token.revoked")
def revoke_a_token(cast):
    _row, token = accounts.issue_token(cast.lead, factories.PASSWORD)
    return Call(lambda: accounts.revoke_token(cast.lead, token), cast.lead)


@audited(accounts.choose_language, "account.language_changed")
def choose_japanese(cast):
    return Call(lambda: accounts.choose_language(fresh(cast.lead), "ja"), cast.lead)


@audited(accounts.sign_out_everywhere, "account.signed_out_everywhere")
def sign_out_everywhere(cast):
    return Call(lambda: accounts.sign_out_everywhere(fresh(cast.lead)), cast.lead)


@audited(accounts.enrol_second_factor, "account.second_factor_enrolled")
def enrol_a_new_authenticator(cast):
    device = secondfactor.start_enrolment(cast.responder)

    def enrol():
        again = fresh(device)
        return accounts.enrol_second_factor(again, f"{TOTP(again.bin_key).token():06d}")

    return Call(enrol, cast.responder)


@audited(accounts.renew_recovery_codes, "account.recovery_codes_renewed")
def renew_recovery_codes(cast):
    return Call(lambda: accounts.renew_recovery_codes(fresh(cast.lead)), cast.lead)


@audited(accounts.change_password, "account.password_changed")
def change_ones_password(cast):
    return Call(
        lambda: accounts.change_password(fresh(cast.lead), factories.PASSWORD, NEW_PASSWORD),
        cast.lead,
    )


@audited(accounts.reset_password, "account.password_reset")
def reset_ones_password(cast):
    return Call(lambda: accounts.reset_password(fresh(cast.lead), NEW_PASSWORD), cast.lead)
