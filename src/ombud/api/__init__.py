"""The HTTP API under /api/v1/: every staff action on a case, the public intake
and the reporter's receipt view. Endpoints are thin: they call the services."""
