"""The outbox relay, its transports and idempotent consumers."""

import json
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone

from wallet.events.consumers import consume
from wallet.events.relay import prune_published, relay_batch, relay_until_drained
from wallet.events.transports import RedisStreamsTransport
from wallet.models import OutboxEvent, ProcessedEvent
from wallet.services import transfer_create


class RecordingTransport:
    def __init__(self, fail: bool = False) -> None:
        self.published, self.fail, self.lock = [], fail, threading.Lock()

    def publish(self, events):
        if self.fail:
            raise ConnectionError("broker down")
        with self.lock:
            self.published += [str(event.event_id) for event in events]


@pytest.fixture
def some_events(make_user, fund):
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    for i in range(6):
        transfer_create(sender=alice, receiver_username="bob", amount=Decimal("1"), idempotency_key=f"t{i}")
    return list(OutboxEvent.objects.order_by("id").values_list("event_id", flat=True))


@pytest.mark.django_db
def test_the_relay_publishes_in_order_and_marks_what_it_published(some_events):
    transport = RecordingTransport()

    assert relay_batch(transport=transport, batch_size=4) == 4
    assert relay_until_drained(transport=transport, batch_size=4) == 3
    assert relay_until_drained(transport=transport) == 0

    assert transport.published == [str(event_id) for event_id in some_events]
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_failed_publish_leaves_the_events_to_publish_again(some_events):
    with pytest.raises(ConnectionError):
        relay_batch(transport=RecordingTransport(fail=True))

    assert OutboxEvent.objects.filter(published_at__isnull=True).count() == len(some_events)


@pytest.mark.django_db
def test_pruning_deletes_only_events_published_before_the_retention(some_events):
    relay_until_drained(transport=RecordingTransport())
    OutboxEvent.objects.filter(event_id__in=some_events[:2]).update(published_at=timezone.now() - timedelta(days=8))
    OutboxEvent.objects.filter(event_id=some_events[2]).update(published_at=None)

    assert prune_published(older_than=timedelta(days=7)) == 2
    assert OutboxEvent.objects.count() == len(some_events) - 2


@pytest.mark.django_db
def test_a_consumer_handles_each_event_once():
    effects = []
    event = {"event_id": "6f1c1c5e-2f7a-4bb4-9b4c-0a7c1c1b9a11", "type": "transaction.succeeded"}

    first = consume(consumer="receipts", event=event, handler=effects.append)
    again = consume(consumer="receipts", event=event, handler=effects.append)
    other = consume(consumer="notifications", event=event, handler=effects.append)

    assert (first, again, other) == (True, False, True)
    assert len(effects) == 2 and ProcessedEvent.objects.count() == 2


@pytest.mark.django_db
def test_the_redis_transport_adds_each_event_to_its_wallets_stream(some_events, redis_url):
    import redis

    transport = RedisStreamsTransport(redis_url, stream="test-events", shards=4)
    relay_until_drained(transport=transport)

    client = redis.Redis.from_url(redis_url)
    streams = {
        key: [json.loads(fields[b"event"]) for _, fields in client.xrange(key)]
        for key in client.scan_iter("test-events:*")
    }
    messages = [message for stream in streams.values() for message in stream]
    assert sorted(m["event_id"] for m in messages) == sorted(str(e) for e in some_events)
    assert {m["type"] for m in messages} == {"transaction.succeeded"}
    # One wallet's events sit in one stream, in the order they happened.
    for stream in streams.values():
        senders = {m["sender_wallet_id"] for m in stream}
        for sender in senders:
            ids = [m["transaction_id"] for m in stream if m["sender_wallet_id"] == sender]
            assert ids == sorted(ids)
    for sender in {m["sender_wallet_id"] for m in messages}:
        assert sum(any(m["sender_wallet_id"] == sender for m in stream) for stream in streams.values()) == 1


@pytest.mark.django_db(transaction=True)
def test_relays_running_at_once_publish_each_event_once(make_user, fund):
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "500.00")
    for i in range(120):
        transfer_create(sender=alice, receiver_username="bob", amount=Decimal("1"), idempotency_key=f"t{i}")
    transport = RecordingTransport()
    barrier = threading.Barrier(4)

    def relay():
        barrier.wait()
        try:
            relay_until_drained(transport=transport, batch_size=7)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=relay) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(transport.published) == len(set(transport.published)) == OutboxEvent.objects.count() == 121


@pytest.mark.django_db(transaction=True)
def test_relays_killed_mid_run_lose_nothing_and_consumers_act_once(make_user, fund, redis_url, process_env, manage):
    """Real relay processes, SIGKILLed again and again while they publish to a real Redis."""
    import random
    import signal
    import subprocess
    import sys
    import time
    from collections import Counter

    import redis
    from django.conf import settings

    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "1000.00")
    for i in range(300):
        transfer_create(sender=alice, receiver_username="bob", amount=Decimal("1"), idempotency_key=f"t{i}")
    rng = random.Random(7)
    kills = interrupted = 0
    while OutboxEvent.objects.filter(published_at__isnull=True).exists() and kills < 40:
        relay = subprocess.Popen(
            [sys.executable, "manage.py", "relay_events", "--batch", "1"], cwd=settings.BASE_DIR, env=process_env
        )
        time.sleep(rng.uniform(0.4, 1.4))  # some die starting up, some while publishing
        relay.send_signal(signal.SIGKILL)
        relay.wait()
        kills += 1
        # Killed with work left: this relay died mid-run, not after draining.
        interrupted += OutboxEvent.objects.filter(published_at__isnull=True).exists()
    manage("relay_events", "--once")

    client = redis.Redis.from_url(redis_url)
    delivered = [
        json.loads(fields[b"event"]) for key in client.scan_iter("wallet-events:*") for _, fields in client.xrange(key)
    ]
    committed = {str(event_id) for event_id in OutboxEvent.objects.values_list("event_id", flat=True)}
    assert interrupted >= 1
    assert {message["event_id"] for message in delivered} == committed  # every committed event, at least once

    effects = Counter()
    for message in delivered:  # redeliveries included
        consume(consumer="ledger-mirror", event=message, handler=lambda event: effects.update([event["event_id"]]))
    assert set(effects) == committed and set(effects.values()) == {1}  # every effect exactly once


@pytest.mark.django_db
def test_the_kafka_transport_publishes_to_a_real_cluster(some_events):
    """Runs only where a Kafka cluster is reachable (KAFKA_BOOTSTRAP_SERVERS); none runs on our machines."""
    import os

    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not servers:
        pytest.skip("KAFKA_BOOTSTRAP_SERVERS is not set: no Kafka cluster to publish to")
    confluent_kafka = pytest.importorskip("confluent_kafka", reason="pip install '.[kafka]'")
    from wallet.events.transports import KafkaTransport

    relay_until_drained(transport=KafkaTransport(servers, topic_prefix="wallet-test"))

    consumer = confluent_kafka.Consumer(
        {"bootstrap.servers": servers, "group.id": f"test-{some_events[0]}", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe(["wallet-test.transaction"])
    seen = set()
    deadline = timezone.now() + timedelta(seconds=30)
    while len(seen) < len(some_events) and timezone.now() < deadline:
        record = consumer.poll(1)
        if record is not None and record.error() is None:
            seen.add(json.loads(record.value())["event_id"])
    consumer.close()
    assert seen >= {str(event_id) for event_id in some_events}


@pytest.mark.django_db(transaction=True)
def test_in_process_a_failing_consumer_stops_neither_the_others_nor_the_movement(
    make_user, fund, settings, monkeypatch
):
    from wallet.events import handlers

    settings.EVENTS_IN_PROCESS = True
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "10.00")

    def broken(events):
        raise RuntimeError("receipts are down")

    monkeypatch.setitem(handlers.CONSUMERS, "receipts", broken)
    result = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("1"), idempotency_key="t-broken")

    assert result.error is None and result.transaction.status == "SUCCESS"
    event_id = OutboxEvent.objects.get(transaction=result.transaction).event_id
    handled = set(ProcessedEvent.objects.filter(event_id=event_id).values_list("consumer", flat=True))
    assert handled == set(handlers.CONSUMERS) - {"receipts"}
