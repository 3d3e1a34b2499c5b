"""walletEvents over a real WebSocket (daphne, Channels, channels-redis on a real Redis)."""

import json
import time
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.utils import timezone
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from scripts import harness
from wallet.models import OutboxEvent
from wallet.services import transfer_create

pytestmark = pytest.mark.django_db(transaction=True)

SUBSCRIPTION = "subscription { walletEvents { type kind status amount balance transactionId } }"


@pytest.fixture
def asgi_server(process_env):
    server = harness.daphne(process_env)
    yield f"ws://127.0.0.1:{server.port}/graphql/"
    server.stop()


@contextmanager
def subscribed(url: str, token: str):
    with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": token}}))
        ack = json.loads(ws.recv(timeout=10))
        assert ack["type"] == "connection_ack", ack
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
        yield ws


def test_the_receiver_sees_money_arrive_and_others_see_nothing(asgi_server, make_user, fund, token_for, manage):
    url = asgi_server
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    fund(alice, "50.00")
    OutboxEvent.objects.update(published_at=timezone.now())  # only the transfer below is new
    with subscribed(url, token_for(bob)) as as_bob, subscribed(url, token_for(carol)) as as_carol:
        time.sleep(1)  # let both subscriptions join their wallet's group

        transfer_create(sender=alice, receiver_username="bob", amount=Decimal("12.50"), idempotency_key="pay")
        manage("relay_events", "--once")
        manage("consume_events", "--consumer", "realtime", "--once")

        message = json.loads(as_bob.recv(timeout=15))
        with pytest.raises(TimeoutError):
            as_carol.recv(timeout=2)

    assert message["type"] == "next", message
    event = message["payload"]["data"]["walletEvents"]
    assert (event["type"], event["kind"], event["status"], event["amount"], event["balance"]) == (
        "transaction.succeeded",
        "TRANSFER",
        "SUCCESS",
        "12.50",
        "12.50",
    )


def test_a_connection_without_a_valid_token_is_refused(asgi_server):
    url = asgi_server
    for payload in ({}, {"authToken": "not-a-token"}):
        with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:
            ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
        assert closed.value.rcvd.code == 4403


def test_the_channel_layer_reads_longer_than_it_blocks():
    """An idle subscription polls Redis with a blocking pop; the socket's read timeout must outlast it, or the
    subscription dies (1011) whenever the pop's empty answer arrives late."""
    from channels_redis.core import RedisChannelLayer
    from channels_redis.utils import create_pool

    from server.settings import redis_channel_layer

    layer = RedisChannelLayer(**redis_channel_layer("redis://127.0.0.1:6379/0")["CONFIG"])
    pool = create_pool(layer.hosts[0])
    assert pool.connection_kwargs["socket_timeout"] > layer.brpop_timeout
