"""API keys: credentials for a merchant's servers, each with scopes, shown once, stored hashed, revocable.

A key reads `wk_<prefix>_<secret>` and travels as `Authorization: ApiKey <key>`. It acts as its owner with only
its scopes; it cannot manage keys (so no key can mint itself more scopes).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from wallet.errors import ErrorCode, ValidationFailed, WalletError
from wallet.models import ApiKey, User

KEY_PREFIX = "wk"
MAX_KEYS_PER_OWNER = 20
MAX_DAYS = 3650
# How often a key's last_used_at is written at most: a write per request would cost every request.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str  # the whole key, shown this once


def api_key_create(*, owner: User, name: str, scopes: list[str], expires_in_days: int | None = None) -> IssuedKey:
    name = (name or "").strip()
    errors = []
    if not 1 <= len(name) <= 100 or not name.isprintable():
        errors.append(WalletError(ErrorCode.INVALID_INPUT, "Name the key in 1 to 100 characters.", field="name"))
    if not scopes or any(scope not in ApiKey.Scope.values for scope in scopes):
        errors.append(WalletError(ErrorCode.INVALID_INPUT, "Give the key at least one scope.", field="scopes"))
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_DAYS:
        errors.append(
            WalletError(ErrorCode.INVALID_INPUT, f"A key expires in 1 to {MAX_DAYS} days.", field="expires_in_days")
        )
    if ApiKey.objects.filter(owner=owner, revoked_at=None).count() >= MAX_KEYS_PER_OWNER:
        errors.append(WalletError(ErrorCode.INVALID_INPUT, f"At most {MAX_KEYS_PER_OWNER} keys are active at once."))
    if errors:
        raise ValidationFailed(errors)
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    now = timezone.now()
    key = ApiKey.objects.create(
        owner=owner,
        name=name,
        prefix=prefix,
        secret_hash=_digest(secret),
        scopes=sorted(set(scopes)),
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    return IssuedKey(key=key, secret=f"{KEY_PREFIX}_{prefix}_{secret}")


def api_key_revoke(*, owner: User, key_id: int | None) -> ApiKey:
    key = ApiKey.objects.filter(owner=owner, pk=key_id).first() if key_id is not None else None
    if key is None:
        raise WalletError(ErrorCode.INVALID_INPUT, "No such key of yours.", field="id")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key (with its owner and wallet) that `raw` is, or None: unknown, tampered, revoked, expired, or
    its owner deactivated."""
    parts = raw.split("_", 2)  # the secret itself may hold "_"
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    _, prefix, secret = parts
    key = ApiKey.objects.select_related("owner__wallet").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _digest(secret)):
        return None
    now = timezone.now()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now) or not key.owner.is_active:
        return None
    if key.last_used_at is None or key.last_used_at < now - LAST_USED_PRECISION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
