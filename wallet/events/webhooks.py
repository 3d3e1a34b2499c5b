"""Webhooks, after the outbox: the consumer that queues deliveries, and the sender that makes them.

A delivery follows the Standard Webhooks spec (https://www.standardwebhooks.com): the body is
`{"type", "timestamp", "data"}` with the event catalogue's fields in `data`, and every attempt carries the headers
`webhook-id` (the event's id, the same on every retry), `webhook-timestamp` and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, one per live secret). Delivery is at least once: a sender claims
due deliveries under a lease, so one that dies mid-send leaves them due again for any sender.
"""

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import queue
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone

from wallet.events import egress
from wallet.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
USER_AGENT = "wallet-webhooks/1"


# --- the consumer: events -> deliveries --------------------------------------------------------------------------


def queue_deliveries(events: list[dict]) -> None:
    """One PENDING delivery per (event, enabled endpoint that wants its type and whose owner it concerns), due now.

    An event concerns the owners of the wallets its entries moved, the receiver of a hold (a merchant may capture
    it), and for a refused movement its initiator only (nothing moved; the would-be receiver is not told)."""
    wallets = {event["event_id"]: _wallets_concerned(event) for event in events}
    initiators = {event["event_id"]: event["initiator_id"] for event in events if event["type"] == "transaction.failed"}
    endpoints = list(
        WebhookEndpoint.objects.filter(enabled=True)
        .filter(
            Q(owner__wallet__in={wallet for ids in wallets.values() for wallet in ids})
            | Q(owner__in=set(initiators.values()))
        )
        .values("id", "event_types", "owner_id", "owner__wallet")
    )
    if not endpoints:
        return
    now = timezone.now()
    deliveries = []
    for event in events:
        for endpoint in endpoints:
            concerned = endpoint["owner__wallet"] in wallets[event["event_id"]] or (
                endpoint["owner_id"] == initiators.get(event["event_id"])
            )
            if concerned and event["type"] in endpoint["event_types"]:
                deliveries.append(
                    WebhookDelivery(
                        endpoint_id=endpoint["id"],
                        event_id=event["event_id"],
                        event_type=event["type"],
                        body=webhook_body(event, wallet_id=endpoint["owner__wallet"]),
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)  # a re-run event adds nothing


def _wallets_concerned(event: dict) -> set[int]:
    if event["type"] == "transaction.failed":
        return set()
    wallets = {entry["wallet_id"] for entry in event["entries"]}
    if event["type"] == "transaction.pending" and event.get("receiver_wallet_id") is not None:
        wallets.add(event["receiver_wallet_id"])
    return wallets


def webhook_body(event: dict, *, wallet_id: int | None) -> str:
    """The JSON an endpoint receives: the event with only its owner's own entries (not the other party's balance)."""
    data = {**event, "entries": [entry for entry in event["entries"] if entry["wallet_id"] == wallet_id]}
    return json.dumps({"type": event["type"], "timestamp": event["occurred_at"], "data": data}, separators=(",", ":"))


# --- signing -----------------------------------------------------------------------------------------------------


def new_secret() -> str:
    import secrets

    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def signature(secret: str, *, message_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def live_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The current secret, and the previous one during its grace after a rotation."""
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > (timezone.now())
    ):
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


def signed_headers(endpoint: WebhookEndpoint, *, message_id: str, body: str) -> dict[str, str]:
    timestamp = int(time.time())
    signatures = " ".join(
        signature(secret, message_id=message_id, timestamp=timestamp, body=body) for secret in live_secrets(endpoint)
    )
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }


# --- the sender: deliveries -> HTTP --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    id: int
    endpoint_id: int
    event_id: str
    body: str


# Due deliveries of enabled endpoints, at most `per_endpoint` per endpoint counting those this sender already has in
# flight (so a slow endpoint cannot take every slot), marked taken by pushing next_attempt_at a lease ahead.
_CLAIM = """
WITH due AS (
    SELECT d.id, d.endpoint_id, d.next_attempt_at
      FROM wallet_webhookdelivery d
     WHERE d.status = 'PENDING' AND d.next_attempt_at <= now()
     ORDER BY d.next_attempt_at
     LIMIT 1000
), ranked AS (
    SELECT due.id, due.next_attempt_at,
           row_number() OVER (PARTITION BY due.endpoint_id ORDER BY due.next_attempt_at, due.id)
             + coalesce((%(busy)s::jsonb ->> due.endpoint_id::text)::int, 0) AS place
      FROM due JOIN wallet_webhookendpoint e ON e.id = due.endpoint_id AND e.enabled
), picked AS (
    SELECT id FROM ranked WHERE place <= %(per_endpoint)s ORDER BY next_attempt_at, id LIMIT %(limit)s
)
UPDATE wallet_webhookdelivery d
   SET next_attempt_at = now() + make_interval(secs => %(lease)s)
 WHERE d.id IN (
       SELECT id FROM wallet_webhookdelivery
        WHERE id IN (SELECT id FROM picked) AND status = 'PENDING' AND next_attempt_at <= now()
          FOR UPDATE SKIP LOCKED)
RETURNING d.id, d.endpoint_id, d.event_id::text, d.body
"""


def claim(*, limit: int, busy: Counter | None = None) -> list[Claimed]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _CLAIM,
            {
                "busy": json.dumps({str(endpoint): count for endpoint, count in (busy or {}).items()}),
                "per_endpoint": settings.WEBHOOK_PER_ENDPOINT_CONCURRENCY,
                "limit": limit,
                "lease": settings.WEBHOOK_LEASE_SECONDS,
            },
        )
        return [Claimed(*row) for row in cursor.fetchall()]


def attempt(claimed: Claimed) -> egress.Outcome | None:
    """Sends one claimed delivery and records the outcome; None when its endpoint was disabled or deleted since."""
    endpoint = WebhookEndpoint.objects.filter(pk=claimed.endpoint_id, enabled=True).first()
    if endpoint is None:
        return None
    headers = signed_headers(endpoint, message_id=claimed.event_id, body=claimed.body)
    outcome = egress.post(endpoint.url, claimed.body.encode(), headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    record(claimed, outcome)
    return outcome


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: base * 3^(n-1), jittered by ±20% so failed bursts do not retry in step."""
    return timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS * 3 ** (attempts - 1) * random.uniform(0.8, 1.2))


def record(claimed: Claimed, outcome: egress.Outcome) -> None:
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("endpoint")
            .filter(pk=claimed.id, status=WebhookDelivery.Status.PENDING)
            .first()
        )
        if delivery is None:  # deleted with its endpoint, or recorded by a sender that took it after our lease
            return
        WebhookAttempt.objects.create(
            delivery=delivery,
            attempted_at=now,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
        delivery.attempts += 1
        delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
        endpoint = delivery.endpoint
        if outcome.succeeded:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = delivery.Status.SUCCEEDED, now, None
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(last_success_at=now)
        elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = delivery.Status.FAILED, None
            if endpoint.last_success_at is None or endpoint.last_success_at < delivery.created_at:
                # Every attempt of a whole retry schedule failed and nothing else got through meanwhile.
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                    enabled=False,
                    disabled_reason=f"Disabled after every attempt of a delivery failed ({outcome.error})"[:255],
                )
        else:
            delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        delivery.save(
            update_fields=["attempts", "last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"]
        )


def run_sender(*, stop: threading.Event, poll_seconds: float = 0.5) -> None:
    """Sends due deliveries with WEBHOOK_CONCURRENCY threads until `stop` is set; a slow receiver holds one slot,
    at most WEBHOOK_PER_ENDPOINT_CONCURRENCY per endpoint, never the others'."""
    concurrency = settings.WEBHOOK_CONCURRENCY
    in_flight: dict[int, int] = {}  # delivery id -> endpoint id
    finished: queue.Queue[int] = queue.Queue()

    def send(claimed: Claimed) -> None:
        try:
            close_old_connections()
            attempt(claimed)
        except Exception:
            # Counted as a failed attempt, so that a delivery that always breaks the sender still runs out of retries.
            logger.exception("webhook delivery %s: the sender failed unexpectedly", claimed.id)
            with contextlib.suppress(Exception):  # the database may be what failed: then the lease brings it back
                record(claimed, egress.Outcome(None, "the sender failed unexpectedly", 0))
        finally:
            finished.put(claimed.id)

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="webhook") as pool:
        while not stop.is_set():
            free = concurrency - len(in_flight)
            try:
                claimed = claim(limit=free, busy=Counter(in_flight.values())) if free else []
            except DatabaseError:
                logger.exception("webhook sender: cannot claim deliveries; trying again")
                connection.close()
                claimed = []
            for delivery in claimed:
                in_flight[delivery.id] = delivery.endpoint_id
                pool.submit(send, delivery)
            try:  # wake when a send ends, or poll again for due deliveries
                done = finished.get(timeout=0.05 if claimed else poll_seconds)
                in_flight.pop(done, None)
                while True:
                    in_flight.pop(finished.get_nowait(), None)
            except queue.Empty:
                pass
