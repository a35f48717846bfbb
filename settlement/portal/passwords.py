"""Setting a password: from an invitation link or "Forgot your password?"."""

from collections.abc import Iterator
from typing import Any

from django.contrib.auth import forms, views
from django.urls import reverse_lazy

from accounts import queries


class PasswordResetForm(forms.PasswordResetForm):
    """Django's form, reaching owners who were enrolled without a password too.

    Django's own form skips accounts without a usable password, which is every owner an
    enrollment import creates until they set one.
    """

    def get_users(self, email: str) -> Iterator[Any]:
        return iter(queries.users_who_may_reset_password(email=email))


reset = views.PasswordResetView.as_view(form_class=PasswordResetForm)
# The link signs the owner in once the password is set, straight into the portal. The
# backend is named because a sign-in throttle adds a second one.
confirm = views.PasswordResetConfirmView.as_view(
    post_reset_login=True,
    post_reset_login_backend="django.contrib.auth.backends.ModelBackend",
    success_url=reverse_lazy("portal:home"),
)
