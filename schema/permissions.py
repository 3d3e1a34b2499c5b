from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from wallet.models import ApiKey, User


class IsAuthenticated(BasePermission):
    message = "Authentication required: send a valid access token as 'Authorization: Bearer <token>'."
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.request.user.is_authenticated


class _Scoped(BasePermission):
    """After IsAuthenticated: a person (access token) may do anything; an API key only what its scopes allow."""

    scope: str | None = None  # None: no API key may (key management)
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        key = getattr(info.context.request, "api_key", None)
        return key is None or (self.scope is not None and self.scope in key.scopes)


class CanRead(_Scoped):
    scope = ApiKey.Scope.READ
    message = "This API key lacks the READ scope."


class CanMoveMoney(_Scoped):
    scope = ApiKey.Scope.MOVE_MONEY
    message = "This API key lacks the MOVE_MONEY scope."


class CanHold(_Scoped):
    scope = ApiKey.Scope.HOLDS
    message = "This API key lacks the HOLDS scope."


class CanManageWebhooks(_Scoped):
    scope = ApiKey.Scope.WEBHOOKS
    message = "This API key lacks the WEBHOOKS scope."


class PersonOnly(_Scoped):
    message = "API keys cannot do this: sign in as the account's owner."


# What each kind of field needs: signed in, and for an API key its scope.
READS = [IsAuthenticated, CanRead]
MOVES_MONEY = [IsAuthenticated, CanMoveMoney]
HOLDS = [IsAuthenticated, CanHold]
WEBHOOKS = [IsAuthenticated, CanManageWebhooks]
PERSONS = [IsAuthenticated, PersonOnly]


def viewer(info: Info) -> User:
    """The authenticated user; only call behind IsAuthenticated."""
    return info.context.request.user
