"""Invitation emails: a one-time link with which an owner or staff sets a first password."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import queries, roles
from accounts.models import User

SECONDS_PER_DAY = 24 * 3600


def invitation_link(*, user: User) -> str:
    """Return the absolute one-time link that lets `user` set a password.

    The token is Django's password-reset token: it stops working once the password is set
    (it is derived from the password hash) and after `PASSWORD_RESET_TIMEOUT`.
    """
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL.rstrip("/") + path


def send_invitation(*, user_id: int) -> None:
    """Email the user their invitation link (called after the enrolling transaction commits)."""
    user = User.objects.get(pk=user_id)
    context = {
        "user": user,
        "roles": [
            name for name in roles.ROLE_CODES.values() if user.groups.filter(name=name).exists()
        ],
        "link": invitation_link(user=user),
        "valid_days": settings.PASSWORD_RESET_TIMEOUT // SECONDS_PER_DAY,
        "programs": sorted({e.program.name for e in queries.enrollments_of(user=user)}),
        "reset_url": settings.SITE_URL.rstrip("/") + reverse("password_reset"),
    }
    subject = render_to_string("emails/invitation_subject.txt", context).strip()
    # Staff are not enrolled in anything: their email names their roles instead.
    template = "emails/staff_invitation.txt" if user.is_staff else "emails/invitation.txt"
    body = render_to_string(template, context)
    send_mail(subject, body, None, [user.email])
