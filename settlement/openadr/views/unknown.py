"""Every other path under the VTN's prefix: a 404 problem."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt

from settlement.openadr import problems
from settlement.openadr.http import Endpoint


@method_decorator(csrf_exempt, name="dispatch")
class Unknown(Endpoint):
    """Any method on a path the VTN does not have."""

    public = True

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Return a 404 problem."""
        return problems.response(
            problems.not_found(f"{request.path} is not a path of this VTN"), instance=request.path
        )
