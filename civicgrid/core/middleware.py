from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .audit import acting_as


class AuditActorMiddleware:
    """Makes the logged-in user the actor of every audited write in this request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        via = "admin" if request.path.startswith("/admin/") else "web"
        with acting_as(getattr(request, "user", None), via):
            return self.get_response(request)
