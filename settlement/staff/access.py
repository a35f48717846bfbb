"""Who may open a staff page: the one decorator every staff view uses."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from accounts import queries


def staff_required(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """Return `view` guarded for utility staff.

    A signed-out visitor is sent to the portal's sign-in (not the admin's), and a signed-in
    user who is not staff gets the app's 404 page: a staff page is not there for them, and
    saying "not authorized" would confirm that it exists.
    """

    @wraps(view)
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not queries.is_staff_user(user=request.user):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return guarded
