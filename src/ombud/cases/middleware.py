"""The door's answers on pages, wherever a view asked it (``services.access``)."""

from django.shortcuts import redirect

from ombud.cases.services import access
from ombud.web.errors import page_not_found


class CaseDoorMiddleware:
    """A case someone may not see is a 404, like one that does not exist; one they
    have yet to declare no conflict in sends them to its page, which asks."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, access.CaseNotFound):
            return page_not_found(request)
        if isinstance(exception, access.DeclarationRequired):
            return redirect("cases:detail", case_id=exception.case.pk)
        return None
