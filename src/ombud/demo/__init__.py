"""The demo: a seeded organisation, a local mail sink and its mailbox page."""
