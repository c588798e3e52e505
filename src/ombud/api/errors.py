class ApiError(Exception):
    """An error answered as JSON ``{"detail": ...}`` with the given status; a 409 also
    carries the ``code`` of its reason (``schemas.Conflict``)."""

    def __init__(self, status: int, detail: str, *, code: str = ""):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code

    def body(self) -> dict:
        return {"detail": self.detail, "code": self.code} if self.code else {"detail": self.detail}
