"""Abuse limits of the API: password guessing, registration sweeps, mobile-number probing and payment-request spam.

Each is counted per account and per client address in the cache that all workers share (Redis where
REDIS_URL is set), with django-ratelimit's fixed windows. Every attempt counts, the refused ones too, so a
client that keeps hammering stays refused. Rates are settings (LOGIN_RATE_PER_ACCOUNT and friends).
"""

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

from wallet.errors import ErrorCode, WalletError


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the entry of X-Forwarded-For
    that the outermost trusted proxy added. Entries left of it come from the client and can be forged."""
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if hops > 0 and len(forwarded) >= hops:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or "unknown"


def _over(request: HttpRequest, group: str, key, rate: str) -> bool:
    return is_ratelimited(request, group=group, key=key, rate=rate, increment=True)


def _refuse(what: str) -> WalletError:
    return WalletError(ErrorCode.RATE_LIMITED, f"Too many {what} in a short time. Wait a minute and try again.")


def check_login(request: HttpRequest, *, username: str) -> None:
    account = username.strip().lower()
    by_account = _over(request, "login:account", lambda _group, _request: account, settings.LOGIN_RATE_PER_ACCOUNT)
    by_address = _over(request, "login:address", "ip", settings.LOGIN_RATE_PER_ADDRESS)
    if by_account or by_address:
        raise _refuse("login attempts")


def check_registration(request: HttpRequest) -> None:
    if _over(request, "register:address", "ip", settings.REGISTER_RATE_PER_ADDRESS):
        raise _refuse("sign-ups from this address")


def check_mobile_lookup(request: HttpRequest, *, user) -> None:
    """Paying or holding by mobile number reveals whether the number is registered: limit how fast anyone asks."""
    account = str(user.pk)
    by_account = _over(
        request, "mobile:account", lambda _group, _request: account, settings.MOBILE_LOOKUP_RATE_PER_ACCOUNT
    )
    by_address = _over(request, "mobile:address", "ip", settings.MOBILE_LOOKUP_RATE_PER_ADDRESS)
    if by_account or by_address:
        raise _refuse("payments by mobile number")


def check_payment_request(request: HttpRequest, *, user) -> None:
    """Asking for money notifies someone else: limit how many requests one requester makes (PAYMENT_REQUEST_RATE)."""
    account = str(user.pk)
    if _over(request, "payment-request:account", lambda _group, _request: account, settings.PAYMENT_REQUEST_RATE):
        raise _refuse("payment requests")


API_KEY_LIMITED = "Too many requests with this API key. Wait a minute and try again."


def api_key_over_limit(request: HttpRequest, key) -> bool:
    """Every request made with an API key counts toward its own limit (API_KEY_RATE), whoever's address sends it."""
    return _over(request, "api-key", lambda _group, _request: str(key.pk), settings.API_KEY_RATE)
