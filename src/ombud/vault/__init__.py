"""The vault: per-case keys, AEAD for content, key wraps per recipient, receipts."""
