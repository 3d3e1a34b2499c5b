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
import secrets
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from wallet.events import egress
from wallet.models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
USER_AGENT = "wallet-webhooks/1"


# --- the consumer: events -> deliveries --------------------------------------------------------------------------


def queue_deliveries(events: list[dict]) -> None:
    """One PENDING delivery per (event, enabled endpoint that wants its type and whose owner it concerns), due now.

    An event concerns the owners of the wallets its entries moved, the receiver of a hold (a merchant may capture
    it), for a refused movement its initiator only (nothing moved; the would-be receiver is not told), and for a
    payment request both its requester and its payer."""
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
    if event["type"].startswith("payment_request."):
        return {event["requester_wallet_id"], event["payer_wallet_id"]}  # both parties, whatever became of it
    if event["type"] == "transaction.failed":
        return set()
    wallets = {entry["wallet_id"] for entry in event["entries"]}
    if event["type"] == "transaction.pending" and event.get("receiver_wallet_id") is not None:
        wallets.add(event["receiver_wallet_id"])
    return wallets


def webhook_body(event: dict, *, wallet_id: int | None) -> str:
    """The JSON an endpoint receives: the event with only its owner's own entries (not the other party's balance)."""
    data = dict(event)
    if "entries" in event:  # a movement's; a payment request's event has none
        data["entries"] = [entry for entry in event["entries"] if entry["wallet_id"] == wallet_id]
    return json.dumps({"type": event["type"], "timestamp": event["occurred_at"], "data": data}, separators=(",", ":"))


# --- signing -----------------------------------------------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def signature(secret: str, *, message_id: str, timestamp: int, body: str) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(signing_secrets: tuple[str, ...], *, message_id: str, body: str) -> dict[str, str]:
    timestamp = int(time.time())
    signatures = " ".join(
        signature(secret, message_id=message_id, timestamp=timestamp, body=body) for secret in signing_secrets
    )
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }


# --- the sender: deliveries -> HTTP --------------------------------------------------------------------------------
# The sender's threads only make HTTP calls; its main thread claims due deliveries and records what came of them,
# each a batch in one statement, so a delivery costs the database a share of two statements.


@dataclass(frozen=True)
class Claimed:
    id: int
    endpoint_id: int
    event_id: str
    body: str
    attempts: int  # made before this one
    url: str
    signing_secrets: tuple[str, ...]  # the current one, and the previous one during its grace after a rotation


# Due deliveries of enabled endpoints, at most `per_endpoint` per endpoint counting those this sender already has in
# flight (so a slow endpoint cannot take every slot), taken by pushing next_attempt_at a lease ahead.
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
  FROM wallet_webhookendpoint e
 WHERE e.id = d.endpoint_id AND d.id IN (
       SELECT id FROM wallet_webhookdelivery
        WHERE id IN (SELECT id FROM picked) AND status = 'PENDING' AND next_attempt_at <= now()
          FOR UPDATE SKIP LOCKED)
RETURNING d.id, d.endpoint_id, d.event_id::text, d.body, d.attempts, e.url, e.secret,
          CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret ELSE '' END
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
        return [
            Claimed(*row[:6], signing_secrets=tuple(secret for secret in row[6:] if secret))
            for row in cursor.fetchall()
        ]


def send(claimed: Claimed) -> egress.Outcome:
    """One attempt over HTTP; never raises (a sender bug counts as a failed attempt, so it still runs out)."""
    try:
        headers = signed_headers(claimed.signing_secrets, message_id=claimed.event_id, body=claimed.body)
        return egress.post(claimed.url, claimed.body.encode(), headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    except Exception:
        logger.exception("webhook delivery %s: the sender failed unexpectedly", claimed.id)
        return egress.Outcome(None, "the sender failed unexpectedly", 0)


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: base * 3^(n-1), jittered by ±20% so failed bursts do not retry in step."""
    return timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS * 3 ** (attempts - 1) * random.uniform(0.8, 1.2))


# Each still-PENDING delivery of the batch gets its attempt logged and becomes SUCCEEDED, FAILED (out of attempts)
# or PENDING again, due after its delay. One that is no longer PENDING (recorded by a sender that took it after our
# lease ran out) or no longer exists (its endpoint deleted) is left alone.
_RECORD = """
WITH result AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(codes)s::int[], %(errors)s::text[], %(durations)s::int[],
                         %(succeeded)s::bool[], %(delays)s::float8[])
        AS r(id, status_code, error, duration_ms, succeeded, delay)
), locked AS (
    SELECT d.id, d.attempts + 1 AS attempts
      FROM wallet_webhookdelivery d JOIN result r ON r.id = d.id
     WHERE d.status = 'PENDING'
     ORDER BY d.id
       FOR UPDATE OF d
), logged AS (
    INSERT INTO wallet_webhookattempt (delivery_id, attempted_at, status_code, error, duration_ms)
    SELECT r.id, now(), r.status_code, r.error, r.duration_ms FROM result r JOIN locked l ON l.id = r.id
)
UPDATE wallet_webhookdelivery d
   SET attempts = l.attempts,
       last_status_code = r.status_code,
       last_error = r.error,
       status = CASE WHEN r.succeeded THEN 'SUCCEEDED' WHEN l.attempts >= %(max_attempts)s THEN 'FAILED'
                ELSE 'PENDING' END,
       delivered_at = CASE WHEN r.succeeded THEN now() END,
       next_attempt_at = CASE WHEN r.succeeded OR l.attempts >= %(max_attempts)s THEN NULL
                         ELSE now() + make_interval(secs => r.delay) END
  FROM locked l JOIN result r ON r.id = l.id
 WHERE d.id = l.id
RETURNING d.endpoint_id, d.status, d.created_at, r.error
"""


def record(results: list[tuple[Claimed, egress.Outcome]]) -> None:
    """Records a batch of attempts in one transaction, and what they say about their endpoints: a success marks the
    endpoint alive; a delivery that ran out of attempts with no success to its endpoint since it was made (a whole
    retry schedule, about a day, of failures) disables the endpoint."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _RECORD,
            {
                "ids": [claimed.id for claimed, _ in results],
                "codes": [outcome.status_code for _, outcome in results],
                "errors": [outcome.error for _, outcome in results],
                "durations": [outcome.duration_ms for _, outcome in results],
                "succeeded": [outcome.succeeded for _, outcome in results],
                "delays": [retry_delay(claimed.attempts + 1).total_seconds() for claimed, _ in results],
                "max_attempts": settings.WEBHOOK_MAX_ATTEMPTS,
            },
        )
        recorded = cursor.fetchall()
        alive = sorted({endpoint for endpoint, status, _, _ in recorded if status == WebhookDelivery.Status.SUCCEEDED})
        if alive:
            cursor.execute("UPDATE wallet_webhookendpoint SET last_success_at = now() WHERE id = ANY(%s)", [alive])
        for endpoint, status, created_at, error in recorded:
            if status == WebhookDelivery.Status.FAILED:
                WebhookEndpoint.objects.filter(Q(last_success_at=None) | Q(last_success_at__lt=created_at)).filter(
                    pk=endpoint, enabled=True
                ).update(enabled=False, disabled_reason=f"Every attempt of a delivery failed (last: {error})"[:255])


def run_sender(*, stop: threading.Event, poll_seconds: float = 0.5) -> None:
    """Sends due deliveries with WEBHOOK_CONCURRENCY threads until `stop` is set, then lets the sends in flight
    finish and records them. A slow receiver holds at most WEBHOOK_PER_ENDPOINT_CONCURRENCY of the slots."""
    concurrency = settings.WEBHOOK_CONCURRENCY
    in_flight: dict[int, int] = {}  # delivery id -> endpoint id
    finished: queue.Queue[tuple[Claimed, egress.Outcome]] = queue.Queue()
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="webhook")

    def record_finished(timeout: float) -> None:
        results = []
        with contextlib.suppress(queue.Empty):  # wait for the first to end (or the timeout), then take what is there
            results.append(finished.get(timeout=timeout))
            while True:
                results.append(finished.get_nowait())
        if not results:
            return
        try:
            record(results)
        except DatabaseError:  # not recorded: their leases bring them back
            logger.exception("webhook sender: cannot record %d attempt(s)", len(results))
            connection.close()
        for claimed, _ in results:
            in_flight.pop(claimed.id, None)

    try:
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
                pool.submit(lambda delivery=delivery: finished.put((delivery, send(delivery))))
            record_finished(timeout=0.02 if claimed else poll_seconds)
    finally:
        pool.shutdown(wait=True)
        record_finished(timeout=0)
