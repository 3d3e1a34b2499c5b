"""Access and refresh tokens, issued with django-graphql-jwt's machinery.

Access tokens are short-lived JWTs (JWT_EXPIRATION_DELTA) whose expiry is
verified; refresh tokens are long-running rows that are rotated on every use
(the old one is revoked) and can be revoked explicitly. A revoked refresh token
that comes back means a copy leaked (the rightful client holds its successor):
every refresh token of that user is revoked, so the thief's successor dies too
and the user signs in again.
"""

from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone
from graphql_jwt.exceptions import JSONWebTokenError
from graphql_jwt.refresh_token.utils import get_refresh_token_model
from graphql_jwt.shortcuts import create_refresh_token, get_token, get_user_by_token
from graphql_jwt.utils import get_payload

from wallet.errors import ErrorCode, WalletError
from wallet.models import User


@dataclass(frozen=True)
class IssuedTokens:
    user: User
    token: str
    refresh_token: str


def _invalid_token(field: str) -> WalletError:
    return WalletError(ErrorCode.INVALID_TOKEN, "The token is invalid, expired or revoked.", field=field)


def tokens_issue(*, user: User) -> IssuedTokens:
    return IssuedTokens(user=user, token=get_token(user), refresh_token=create_refresh_token(user).get_token())


def tokens_obtain(*, username: str, password: str) -> IssuedTokens:
    user = authenticate(username=username, password=password)
    if user is None:
        raise WalletError(ErrorCode.INVALID_CREDENTIALS, "The username or password is not correct.")
    return tokens_issue(user=user)


def tokens_refresh(*, refresh_token: str) -> IssuedTokens:
    """Trades a refresh token for a new access token and a new refresh token."""
    model = get_refresh_token_model()
    with transaction.atomic():
        # Locked so two concurrent uses of one refresh token cannot both rotate it.
        stored = model.objects.select_for_update().select_related("user").filter(token=refresh_token).first()
        if stored is not None and stored.revoked is not None:
            _revoke_all(model, user_id=stored.user_id)
        if stored is None or stored.revoked is not None or stored.is_expired() or not stored.user.is_active:
            stored = None
        else:
            stored.revoke()
    if stored is None:
        # Outside the atomic block, so that revoking the reused token's family commits.
        raise _invalid_token("refresh_token")
    return tokens_issue(user=stored.user)


def _revoke_all(model, *, user_id: int) -> None:
    model.objects.filter(user_id=user_id, revoked__isnull=True).update(revoked=timezone.now())


def refresh_token_revoke(*, refresh_token: str) -> None:
    with transaction.atomic():
        stored = (
            get_refresh_token_model()
            .objects.select_for_update()
            .filter(token=refresh_token, revoked__isnull=True)
            .first()
        )
        if stored is None:
            raise _invalid_token("refresh_token")
        stored.revoke()


def token_verify(*, token: str) -> dict:
    """The payload of a valid access token whose user is still active."""
    try:
        payload = get_payload(token)
        user = get_user_by_token(token)
    except JSONWebTokenError:
        raise _invalid_token("token") from None
    if user is None:
        raise _invalid_token("token")
    return payload


def user_from_access_token(token: str) -> User | None:
    """The active user an access token stands for, or None for any bad token."""
    try:
        return get_user_by_token(token)
    except JSONWebTokenError:
        return None
