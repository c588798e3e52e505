"""Use cases of decisions: proposing, approving, making final, appeals, the ban list."""
