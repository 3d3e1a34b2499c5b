"""Webhook endpoints, managed by their owner: create, change, delete, rotate the secret, and redeliver by hand.

What is sent and how is in wallet/events/webhooks.py.
"""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from wallet.errors import ErrorCode, ValidationFailed, WalletError
from wallet.events.egress import refusal_for_host
from wallet.events.webhooks import new_secret
from wallet.models import User, WebhookDelivery, WebhookEndpoint
from wallet.validation import clean_idempotency_key

MAX_ENDPOINTS_PER_OWNER = 20
URL_MAX_LENGTH = 2000


@dataclass(frozen=True)
class IssuedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown this once


_KEEP = object()  # an update leaves the field as it is


def webhook_endpoint_create(*, owner: User, url: str, event_types: list[str], enabled: bool = True) -> IssuedEndpoint:
    url, event_types = _clean_endpoint(url=url, event_types=event_types)
    if WebhookEndpoint.objects.filter(owner=owner).count() >= MAX_ENDPOINTS_PER_OWNER:
        raise WalletError(ErrorCode.INVALID_INPUT, f"At most {MAX_ENDPOINTS_PER_OWNER} endpoints per account.")
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        owner=owner, url=url, event_types=event_types, enabled=enabled, secret=secret
    )
    return IssuedEndpoint(endpoint=endpoint, secret=secret)


def webhook_endpoint_update(
    *, owner: User, endpoint_id: int | None, url=_KEEP, event_types=_KEEP, enabled=_KEEP
) -> WebhookEndpoint:
    endpoint = _owned(owner, endpoint_id)
    cleaned_url, cleaned_types = _clean_endpoint(
        url=endpoint.url if url is _KEEP else url,
        event_types=endpoint.event_types if event_types is _KEEP else event_types,
    )
    endpoint.url, endpoint.event_types = cleaned_url, cleaned_types
    if enabled is not _KEEP:
        endpoint.enabled = bool(enabled)
        if endpoint.enabled:
            endpoint.disabled_reason = ""
    endpoint.save(update_fields=["url", "event_types", "enabled", "disabled_reason"])
    return endpoint


def webhook_endpoint_delete(*, owner: User, endpoint_id: int | None) -> int:
    """Deletes the endpoint and its delivery log; nothing more is sent to it. Returns its id."""
    endpoint = _owned(owner, endpoint_id)
    deleted_id = endpoint.pk
    endpoint.delete()
    return deleted_id


def webhook_secret_rotate(*, owner: User, endpoint_id: int | None) -> IssuedEndpoint:
    """A new secret, shown once; the old one also signs for WEBHOOK_SECRET_ROTATION_GRACE_HOURS, so a receiver can
    switch over without rejecting a delivery."""
    with transaction.atomic():
        endpoint = _owned(owner, endpoint_id, for_update=True)
        secret = new_secret()
        endpoint.previous_secret, endpoint.secret = endpoint.secret, secret
        endpoint.previous_secret_expires_at = timezone.now() + timedelta(
            hours=settings.WEBHOOK_SECRET_ROTATION_GRACE_HOURS
        )
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return IssuedEndpoint(endpoint=endpoint, secret=secret)


def webhook_redeliver(*, owner: User, delivery_id: int | None, idempotency_key: str) -> WebhookDelivery:
    """Sends a delivery's event again, as a new delivery with the same `webhook-id` and body, due now. The same key
    again returns that redelivery and sends nothing more."""
    key = clean_idempotency_key(idempotency_key)
    original = (
        WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id, endpoint__owner=owner).first()
        if delivery_id is not None
        else None
    )
    if original is None:
        raise WalletError(ErrorCode.INVALID_INPUT, "No such delivery of yours.", field="delivery_id")
    return delivery_redeliver(original=original, idempotency_key=key)


def delivery_redeliver(*, original: WebhookDelivery, idempotency_key: str) -> WebhookDelivery:
    """`webhook_redeliver` once the delivery is found: also staff's (wallet/services/staff.py), whose keys are the
    service's own (they start with SERVICE_KEY_PREFIX, so they never meet an owner's)."""
    key = idempotency_key
    earlier = WebhookDelivery.objects.filter(endpoint=original.endpoint, idempotency_key=key).first()
    if earlier is None and not original.endpoint.enabled:
        raise WalletError(ErrorCode.INVALID_INPUT, "The endpoint is disabled: enable it first.", field="delivery_id")
    if earlier is None:
        try:
            with transaction.atomic():
                earlier = WebhookDelivery.objects.create(
                    endpoint=original.endpoint,
                    event_id=original.event_id,
                    event_type=original.event_type,
                    body=original.body,
                    idempotency_key=key,
                    next_attempt_at=timezone.now(),
                )
        except IntegrityError:  # the same key, sent twice at once: the other request made it
            earlier = WebhookDelivery.objects.get(endpoint=original.endpoint, idempotency_key=key)
    if earlier.event_id != original.event_id:
        raise WalletError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key already redelivered another event.",
            field="idempotency_key",
        )
    return earlier


def _owned(owner: User, endpoint_id: int | None, *, for_update: bool = False) -> WebhookEndpoint:
    endpoints = WebhookEndpoint.objects.filter(owner=owner)
    if for_update:
        endpoints = endpoints.select_for_update()
    endpoint = endpoints.filter(pk=endpoint_id).first() if endpoint_id is not None else None
    if endpoint is None:
        raise WalletError(ErrorCode.INVALID_INPUT, "No such endpoint of yours.", field="id")
    return endpoint


def _clean_endpoint(*, url: str, event_types: list[str]) -> tuple[str, list[str]]:
    errors = []
    url = (url or "").strip()
    problem = _url_problem(url)
    if problem:
        errors.append(WalletError(ErrorCode.INVALID_INPUT, problem, field="url"))
    if not event_types or any(kind not in WebhookEndpoint.EventType.values for kind in event_types):
        errors.append(WalletError(ErrorCode.INVALID_INPUT, "Choose at least one event type.", field="event_types"))
    if errors:
        raise ValidationFailed(errors)
    return url, sorted(set(event_types))


def _url_problem(url: str) -> str | None:
    if not url or len(url) > URL_MAX_LENGTH:
        return f"Give a URL of at most {URL_MAX_LENGTH} characters."
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        return "This is not a valid URL."
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "Give an http(s) URL with a host."
    if parts.username is not None or parts.password is not None:
        return "Put no credentials in the URL: verify deliveries by their signature."
    if parts.fragment:
        return "A webhook URL has no fragment (#…)."
    return refusal_for_host(parts.hostname)
