class VaultError(Exception):
    """A key or ciphertext problem. Messages name keys, never content."""


class KeyUnavailable(VaultError):
    """No key this caller holds opens the case."""


class Tampered(VaultError):
    """A ciphertext failed authentication: corrupted, swapped or forged."""
