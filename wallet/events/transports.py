"""Where the relay publishes events, behind one small interface chosen by settings (EVENT_TRANSPORT)."""

import json
import logging
from typing import Protocol

from django.conf import settings

from wallet.models import OutboxEvent

logger = logging.getLogger(__name__)


def message(event: OutboxEvent) -> dict:
    """The published form of an outbox row (the event catalogue is in docs/EVENTS.md)."""
    return {
        "event_id": str(event.event_id),
        "type": event.event_type,
        "occurred_at": event.created_at.isoformat(),
        **event.payload,
    }


def ordering_key(event: OutboxEvent) -> str:
    """Events of one wallet keep their order: they share the sending wallet's key. A payment request's events go
    with its payer's wallet, so its payment_request.paid follows the payer's transfer that paid it."""
    if event.event_type.startswith("payment_request."):
        return str(event.payload.get("payer_wallet_id"))
    return str(event.payload.get("sender_wallet_id"))


class Transport(Protocol):
    def publish(self, events: list[OutboxEvent]) -> None:
        """Publishes every event or raises; a raise leaves them all to be published again."""


class RedisStreamsTransport:
    """XADD to one of `shards` streams chosen by the wallet key, each capped at about `maxlen` entries."""

    def __init__(self, url: str, *, stream: str = "wallet-events", shards: int = 8, maxlen: int = 100_000) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.stream, self.shards, self.maxlen = stream, shards, maxlen

    def stream_for(self, event: OutboxEvent) -> str:
        return f"{self.stream}:{int(ordering_key(event) or 0) % self.shards}"

    def publish(self, events: list[OutboxEvent]) -> None:
        pipeline = self.client.pipeline(transaction=False)
        for event in events:
            pipeline.xadd(
                self.stream_for(event),
                {"event": json.dumps(message(event))},
                maxlen=self.maxlen,
                approximate=True,
            )
        pipeline.execute()


class KafkaTransport:
    """One topic per event family (`wallet.transaction` for transaction.*, `wallet.payment_request` for
    payment_request.*), key = the ordering key (the sending wallet, or a payment request's payer's)."""

    def __init__(self, bootstrap_servers: str, *, topic_prefix: str = "wallet") -> None:
        from confluent_kafka import Producer  # the optional `kafka` extra

        self.producer = Producer({"bootstrap.servers": bootstrap_servers, "enable.idempotence": True, "acks": "all"})
        self.topic_prefix = topic_prefix

    def publish(self, events: list[OutboxEvent]) -> None:
        failures = []

        def delivered(error, _message):
            if error is not None:
                failures.append(error)

        for event in events:
            family = event.event_type.split(".", 1)[0]
            self.producer.produce(
                f"{self.topic_prefix}.{family}",
                key=ordering_key(event),
                value=json.dumps(message(event)),
                on_delivery=delivered,
            )
        self.producer.flush(30)
        if failures:
            raise RuntimeError(f"Kafka did not take {len(failures)} event(s): {failures[0]}")


class LogTransport:
    """For a laptop without a broker: events go to the log."""

    def publish(self, events: list[OutboxEvent]) -> None:
        for event in events:
            logger.info("event %s", json.dumps(message(event)))


def configured_transport() -> Transport:
    kind = settings.EVENT_TRANSPORT
    if kind == "redis":
        return RedisStreamsTransport(settings.REDIS_URL, maxlen=settings.EVENT_STREAM_MAXLEN)
    if kind == "kafka":
        return KafkaTransport(settings.KAFKA_BOOTSTRAP_SERVERS)
    return LogTransport()
