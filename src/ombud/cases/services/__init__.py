"""Use cases of the response team and of reporters following up."""
