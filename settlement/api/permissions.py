"""Who may call which API: owners see their own data, staff endpoints need staff."""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts import queries


class IsStaff(BasePermission):
    """Allow only active utility staff."""

    message = "This endpoint is for utility staff."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and queries.is_staff_user(user=user))
