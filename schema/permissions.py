from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from wallet.models import User


class IsAuthenticated(BasePermission):
    message = "Authentication required: send a valid access token as 'Authorization: Bearer <token>'."
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.request.user.is_authenticated


def viewer(info: Info) -> User:
    """The authenticated user; only call behind IsAuthenticated."""
    return info.context.request.user
