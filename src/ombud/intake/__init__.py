"""Intake: how a report reaches the staff - the public form, the API, staff-assisted."""
