"""Setting a password: from an invitation link or "Forgot your password?"."""

import hashlib
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import forms, views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse_lazy
from rest_framework.throttling import SimpleRateThrottle

from accounts import queries


class PasswordResetForm(forms.PasswordResetForm):
    """Django's form, reaching owners who were enrolled without a password too.

    Django's own form skips accounts without a usable password, which is every owner an
    enrollment import creates until they set one.
    """

    def get_users(self, email: str) -> Iterator[Any]:
        return iter(queries.users_who_may_reset_password(email=email))


class ResetAddressThrottle(SimpleRateThrottle):
    """Reset requests from one client address (rate `password_reset_address`)."""

    scope = "password_reset_address"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class ResetAccountThrottle(SimpleRateThrottle):
    """Reset requests naming one email, from anywhere (rate `password_reset_account`)."""

    scope = "password_reset_account"

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        email = str(request.POST.get("email", "")).strip().lower()
        # A digest: the email is any text the visitor typed, a cache key must stay plain.
        account = hashlib.sha256(email.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": account}


class ThrottledPasswordResetView(views.PasswordResetView):
    """Django's reset page, sending at most a few emails per address and per account.

    Over either limit it answers exactly as when an email left (the "check your inbox"
    page), so the answer never tells whether an account exists or was throttled.
    """

    form_class = PasswordResetForm

    def form_valid(self, form: forms.PasswordResetForm) -> HttpResponse:
        request: HttpRequest = self.request
        # Both throttles count every request they allow; the address is asked first so a
        # flood from one address does not use up the accounts it names.
        allowed = all(
            throttle.allow_request(request, self)  # type: ignore[arg-type]
            for throttle in (ResetAddressThrottle(), ResetAccountThrottle())
        )
        if not allowed:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


reset = ThrottledPasswordResetView.as_view()
# The link signs the owner in once the password is set, straight into the portal. The
# backend is named because a sign-in throttle adds a second one.
confirm = views.PasswordResetConfirmView.as_view(
    post_reset_login=True,
    post_reset_login_backend="django.contrib.auth.backends.ModelBackend",
    success_url=reverse_lazy("portal:home"),
)
