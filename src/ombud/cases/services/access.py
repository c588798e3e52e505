"""How a case key comes to be open in a request: the one place that knows.

- Server mode (``Event.vault_mode == "server"``): the server key from the key
  file opens every case of the event.
- Per-person mode: only a person's own private key opens the cases sealed to
  them. It is unlocked at sign-in and travels with the user object of the
  request as ``vault_private`` (``accounts.middleware`` for pages, the API's
  bearer authentication for tokens). Nobody else, the server included, can.
"""

from ombud.events.models import VaultMode
from ombud.vault import services as vault


def case_key(case, by) -> vault.CaseKey:
    """The case key, opened for ``by`` (a user the visibility rules let in)."""
    if case.event.vault_mode == VaultMode.SERVER:
        return vault.open_as_server(case.pk)
    private = getattr(by, "vault_private", b"") or b""
    return vault.open_keyring(case.pk, vault.PersonRecipient(by.pk, private_key=private))


def server_case_key(case) -> vault.CaseKey:
    """Only for the server's own work on server-mode events (rescans)."""
    return vault.open_as_server(case.pk)
