class ApiError(Exception):
    """An error answered as JSON ``{"detail": ...}`` with the given status."""

    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail
