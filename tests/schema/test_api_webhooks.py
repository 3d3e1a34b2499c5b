"""Webhooks end to end: endpoints managed over GraphQL, movements made over HTTP, deliveries sent by the real
sender process (`manage.py deliver_webhooks`) to a real HTTP receiver, and verified as a merchant would verify
them, with the Standard Webhooks library."""

import os
import signal
import threading
import uuid

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from scripts import harness
from tests.schema.test_api_keys import KeyClient, make_key
from tests.support.receiver import Receiver
from wallet.models import OutboxEvent, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True)

CREATE = """
mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
  endpoint { id url eventTypes enabled disabledReason } secret errors { code field message } } }
"""
UPDATE = """
mutation($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) {
  endpoint { id url eventTypes enabled disabledReason } errors { code field } } }
"""
DELETE = "mutation($id: ID!) { deleteWebhookEndpoint(input: {id: $id}) { deletedId errors { code field } } }"
ROTATE = "mutation($id: ID!) { rotateWebhookSecret(input: {id: $id}) { endpoint { id } secret errors { code } } }"
REDELIVER = """
mutation($id: ID!, $key: String!) { redeliverWebhook(input: {deliveryId: $id, idempotencyKey: $key}) {
  delivery { id eventId status redelivery } errors { code field } } }
"""
ENDPOINTS = "{ webhookEndpoints { id url eventTypes enabled disabledReason } }"
DELIVERIES = """
query($endpoint: ID, $status: WebhookDeliveryStatus) { webhookDeliveries(endpointId: $endpoint, status: $status) {
  totalCount edges { node { id endpointId eventId eventType status attempts lastStatusCode lastError nextAttemptAt
    deliveredAt redelivery payload attemptLog { statusCode error durationMs } } } } }
"""
TRANSFER = """
mutation($input: TransferInput!) { transfer(input: $input) { transaction { id status } errors { code } } }
"""
HOLD = """
mutation($input: CreateHoldInput!) { createHold(input: $input) { transaction { id status } errors { code } } }
"""


@pytest.fixture(autouse=True)
def _events_in_process(settings):
    """As the embedded default runs: each movement's consumers (webhooks among them) run after its commit."""
    settings.EVENTS_IN_PROCESS = True
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True  # the receiver listens on 127.0.0.1


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def start_sender(database_url):
    """Starts `manage.py deliver_webhooks` processes on the test database, with quick retries; stops them after."""
    started = []

    def start(**settings: str) -> harness.Process:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "server.settings",
            "REDIS_URL": "",
            "WEBHOOKS_ALLOW_PRIVATE_NETWORKS": "true",
            "WEBHOOK_RETRY_BASE_SECONDS": "0.2",
            "WEBHOOK_LEASE_SECONDS": "3",
            "WEBHOOK_TIMEOUT_SECONDS": "20",
            "PYTHONUNBUFFERED": "1",
            **settings,
        }
        sender = harness.webhook_sender(env, "--poll", "0.1")
        started.append(sender)
        return sender

    yield start
    for sender in started:
        sender.stop(grace=5)


def add_endpoint(client, url: str, *types: str, **extra) -> tuple[str, str]:
    created = client.execute(CREATE, {"input": {"url": url, "eventTypes": list(types or ["TRANSACTION_SUCCEEDED"])}})
    payload = created["createWebhookEndpoint"]
    assert payload["errors"] == [], payload
    return payload["endpoint"]["id"], payload["secret"]


def pay(client, receiver_username: str, amount: str = "1.00", **tags) -> dict:
    variables = {
        "input": {
            "receiverUsername": receiver_username,
            "amount": amount,
            "idempotencyKey": str(uuid.uuid4()),
            **tags,
        }
    }
    return client.execute(TRANSFER, variables)["transfer"]


def deliveries(client, endpoint_id: str | None = None, status: str | None = None) -> list[dict]:
    found = client.execute(DELIVERIES, {"endpoint": endpoint_id, "status": status})["webhookDeliveries"]
    return [edge["node"] for edge in found["edges"]]


def wait_for_deliveries(client, endpoint_id: str, count: int, status: str = "SUCCEEDED", timeout: float = 30):
    def done() -> bool:
        return len(deliveries(client, endpoint_id, status)) >= count

    harness.wait_until(done, f"{count} {status} deliveries", timeout=timeout)
    return deliveries(client, endpoint_id, status)


# --- management -------------------------------------------------------------------------------------------------


def test_an_owner_manages_endpoints_and_sees_the_secret_only_when_it_is_made(as_alice, bob, token_for, api):
    endpoint_id, secret = add_endpoint(as_alice, "https://shop.example.com/hooks", "TRANSACTION_SUCCEEDED")

    assert secret.startswith("whsec_") and len(secret) > 30
    listed = as_alice.execute(ENDPOINTS)["webhookEndpoints"]
    assert listed == [
        {
            "id": endpoint_id,
            "url": "https://shop.example.com/hooks",
            "eventTypes": ["TRANSACTION_SUCCEEDED"],
            "enabled": True,
            "disabledReason": None,
        }
    ]
    changed = as_alice.execute(
        UPDATE, {"input": {"id": endpoint_id, "eventTypes": ["TRANSACTION_FAILED", "TRANSACTION_PENDING"]}}
    )["updateWebhookEndpoint"]
    assert changed["endpoint"]["eventTypes"] == ["TRANSACTION_FAILED", "TRANSACTION_PENDING"]
    assert changed["endpoint"]["url"] == "https://shop.example.com/hooks"  # omitted: left as it was

    rotated = as_alice.execute(ROTATE, {"id": endpoint_id})["rotateWebhookSecret"]
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != secret

    # Another owner can neither see nor touch it.
    as_bob = api.as_user(token_for(bob))
    assert as_bob.execute(ENDPOINTS)["webhookEndpoints"] == []
    for document, variables, name in (
        (DELETE, {"id": endpoint_id}, "deleteWebhookEndpoint"),
        (ROTATE, {"id": endpoint_id}, "rotateWebhookSecret"),
        (UPDATE, {"input": {"id": endpoint_id, "enabled": False}}, "updateWebhookEndpoint"),
    ):
        assert [error["code"] for error in as_bob.execute(document, variables)[name]["errors"]] == ["INVALID_INPUT"]
    assert WebhookEndpoint.objects.get(pk=endpoint_id).enabled is True

    deleted = as_alice.execute(DELETE, {"id": endpoint_id})["deleteWebhookEndpoint"]
    assert deleted == {"deletedId": endpoint_id, "errors": []}
    assert as_alice.execute(ENDPOINTS)["webhookEndpoints"] == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://api.localhost/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",  # a cloud's metadata service
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_loopback_and_link_local_receivers_are_refused_by_default(as_alice, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False

    created = as_alice.execute(CREATE, {"input": {"url": url, "eventTypes": ["TRANSACTION_SUCCEEDED"]}})

    assert [(e["code"], e["field"]) for e in created["createWebhookEndpoint"]["errors"]] == [("INVALID_INPUT", "url")]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url", ["ftp://example.com/hook", "https://user:pw@example.com/hook", "not a url", "https://", ""]
)
def test_a_bad_url_or_no_event_type_is_invalid_input(as_alice, url):
    created = as_alice.execute(CREATE, {"input": {"url": url, "eventTypes": []}})

    fields = sorted(error["field"] for error in created["createWebhookEndpoint"]["errors"])
    assert fields == ["eventTypes", "url"]
    assert not WebhookEndpoint.objects.exists()


def test_an_api_key_manages_webhooks_only_with_the_webhooks_scope(as_alice, live_server):
    url = f"{live_server.url}/graphql/"
    reader = KeyClient(url, make_key(as_alice, "READ", "MOVE_MONEY")[0])
    manager = KeyClient(url, make_key(as_alice, "WEBHOOKS")[0])
    variables = {"input": {"url": "https://shop.example.com/h", "eventTypes": ["TRANSACTION_SUCCEEDED"]}}

    assert reader.codes(CREATE, variables) == ["FORBIDDEN"]
    assert reader.codes(ENDPOINTS) == ["FORBIDDEN"]
    assert reader.codes(DELIVERIES) == ["FORBIDDEN"]
    assert not WebhookEndpoint.objects.exists()

    made = manager.post(CREATE, variables).json()["data"]["createWebhookEndpoint"]
    assert made["errors"] == [] and made["secret"].startswith("whsec_")
    assert [endpoint["id"] for endpoint in as_alice.execute(ENDPOINTS)["webhookEndpoints"]] == [made["endpoint"]["id"]]


# --- delivery -----------------------------------------------------------------------------------------------------


def test_money_arriving_reaches_the_receivers_endpoint_signed_as_standard_webhooks_say(
    as_alice, alice, bob, fund, api, token_for, receiver, start_sender
):
    fund(alice, "100.00")
    as_bob = api.as_user(token_for(bob))
    _, secret = add_endpoint(as_bob, receiver.url("/bob"))
    start_sender()

    pay(as_alice, "bob", "12.50", reference="order-77", metadata={"order": "77", "channel": "web"})

    [request] = receiver.wait_for("/bob", 1)
    payload = Webhook(secret).verify(request.body, request.headers)  # raises unless the signature is right
    event = OutboxEvent.objects.get(event_type="transaction.succeeded", payload__reference="order-77")
    assert request.headers["webhook-id"] == str(event.event_id)
    assert request.headers["content-type"] == "application/json"
    assert payload["type"] == "transaction.succeeded" and payload["timestamp"] == event.created_at.isoformat()
    data = payload["data"]
    assert data["schema_version"] == 1 and data["event_id"] == str(event.event_id)
    assert (data["amount"], data["kind"], data["status"]) == ("12.50", "TRANSFER", "SUCCESS")
    assert data["reference"] == "order-77" and data["metadata"] == {"order": "77", "channel": "web"}
    # Only the receiver's own entry: not the payer's balance.
    assert [(entry["wallet_id"], entry["delta"]) for entry in data["entries"]] == [(bob.wallet.id, "12.50")]

    # A tampered body or a wrong secret does not verify.
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request.body.replace("12.50", "99.50"), request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(request.body, request.headers)

    [logged] = wait_for_deliveries(as_bob, None, 1)
    assert logged["eventId"] == str(event.event_id) and logged["attempts"] == 1 and logged["lastStatusCode"] == 200
    assert logged["payload"] == payload and logged["deliveredAt"] is not None and logged["nextAttemptAt"] is None
    # The payer has no endpoint, and nothing was delivered anywhere else.
    assert len(receiver.requests) == 1


def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_try_with_the_same_id(
    as_alice, alice, bob, fund, receiver, start_sender
):
    fund(alice, "100.00")
    endpoint_id, secret = add_endpoint(as_alice, receiver.url("/flaky"))
    receiver.script("/flaky", statuses=[500, 503])
    start_sender()

    pay(as_alice, "bob", "3.00")

    tries = receiver.wait_for("/flaky", 3)
    assert [request.answered for request in tries] == [500, 503, 200]
    assert len({request.headers["webhook-id"] for request in tries}) == 1
    assert len({request.body for request in tries}) == 1
    for request in tries:
        Webhook(secret).verify(request.body, request.headers)
    [delivery] = wait_for_deliveries(as_alice, endpoint_id, 1)
    assert delivery["attempts"] == 3 and delivery["status"] == "SUCCEEDED"
    assert [attempt["statusCode"] for attempt in delivery["attemptLog"]] == [500, 503, 200]
    assert [attempt["error"] for attempt in delivery["attemptLog"]] == ["HTTP 500", "HTTP 503", None]
    assert delivery["eventId"] == tries[0].headers["webhook-id"]


def test_killing_the_sender_mid_run_loses_nothing(as_alice, alice, bob, fund, receiver, start_sender):
    fund(alice, "100.00")
    endpoint_id, _ = add_endpoint(as_alice, receiver.url("/shop"))
    gate = receiver.script("/shop", hold=threading.Event()).hold
    for _ in range(6):
        pay(as_alice, "bob", "1.00")
    assert WebhookDelivery.objects.filter(status="PENDING").count() == 6

    first = start_sender(WEBHOOK_PER_ENDPOINT_CONCURRENCY="2")
    in_flight = receiver.wait_for("/shop", 2)  # two sends waiting for their answer
    os.killpg(first.pid, signal.SIGKILL)
    first.popen.wait(timeout=10)
    gate.set()
    start_sender()

    wait_for_deliveries(as_alice, endpoint_id, 6)
    expected = {str(event_id) for event_id in WebhookDelivery.objects.values_list("event_id", flat=True)}
    received = [request.headers["webhook-id"] for request in receiver.at("/shop")]
    assert set(received) == expected and len(expected) == 6
    # The sends cut off by the kill were made again (at least once), with the same ids.
    for request in in_flight:
        assert received.count(request.headers["webhook-id"]) >= 2


def test_a_stopped_sender_finishes_and_records_the_sends_in_flight(as_alice, alice, bob, fund, receiver, start_sender):
    fund(alice, "100.00")
    endpoint_id, _ = add_endpoint(as_alice, receiver.url("/stopping"))
    gate = receiver.script("/stopping", hold=threading.Event()).hold
    pay(as_alice, "bob", "1.00")
    sender = start_sender()
    receiver.wait_for("/stopping", 1)

    sender.popen.send_signal(signal.SIGTERM)  # as `docker compose stop` does, mid-send
    gate.set()

    assert sender.popen.wait(timeout=20) == 0
    [delivery] = deliveries(as_alice, endpoint_id)
    assert (delivery["status"], delivery["attempts"]) == ("SUCCEEDED", 1)
    assert len(receiver.at("/stopping")) == 1  # recorded before it exited: nothing to send again


def test_a_slow_receiver_does_not_hold_up_other_endpoints(
    as_alice, alice, bob, fund, api, token_for, receiver, start_sender
):
    fund(alice, "100.00")
    as_bob = api.as_user(token_for(bob))
    slow_id, _ = add_endpoint(as_alice, receiver.url("/slow"))
    fast_id, _ = add_endpoint(as_bob, receiver.url("/fast"))
    gate = receiver.script("/slow", hold=threading.Event()).hold
    for _ in range(8):
        pay(as_alice, "bob", "1.00")  # each concerns both: alice paid, bob received
    start_sender(WEBHOOK_CONCURRENCY="4", WEBHOOK_PER_ENDPOINT_CONCURRENCY="2")

    # Every delivery to the fast endpoint arrives while the slow one still holds its requests unanswered.
    receiver.wait_for("/fast", 8)
    assert not gate.is_set()
    assert all(request.answered is None for request in receiver.at("/slow"))
    assert len(receiver.at("/slow")) <= 2  # it never had more than its share of the sender

    gate.set()
    wait_for_deliveries(as_alice, slow_id, 8)
    assert len(deliveries(as_bob, fast_id, "SUCCEEDED")) == 8


def test_redirects_are_not_followed(as_alice, alice, bob, fund, receiver, start_sender):
    fund(alice, "100.00")
    endpoint_id, _ = add_endpoint(as_alice, receiver.url("/moved"))
    receiver.script("/moved", statuses=[302], redirect_to=receiver.url("/elsewhere"))
    start_sender()

    pay(as_alice, "bob", "1.00")

    [delivery] = wait_for_deliveries(as_alice, endpoint_id, 1)
    assert [attempt["statusCode"] for attempt in delivery["attemptLog"]] == [302, 200]
    assert receiver.at("/elsewhere") == []


def test_a_name_that_resolves_to_a_private_address_is_refused_when_sending(
    as_alice, alice, bob, fund, receiver, start_sender
):
    fund(alice, "100.00")
    endpoint_id, _ = add_endpoint(as_alice, receiver.url("/inside", host="localhost"))  # allowed while created
    start_sender(WEBHOOKS_ALLOW_PRIVATE_NETWORKS="false", WEBHOOK_MAX_ATTEMPTS="2")

    pay(as_alice, "bob", "1.00")

    [delivery] = wait_for_deliveries(as_alice, endpoint_id, 1, status="FAILED")
    assert [attempt["statusCode"] for attempt in delivery["attemptLog"]] == [None, None]
    assert all("non-public address" in attempt["error"] for attempt in delivery["attemptLog"])
    assert receiver.at("/inside") == []


def test_a_delivery_fails_after_its_retries_and_its_endpoint_is_disabled_until_enabled_again(
    as_alice, alice, bob, fund, receiver, start_sender
):
    fund(alice, "100.00")
    endpoint_id, _ = add_endpoint(as_alice, receiver.url("/down"))
    receiver.script("/down", statuses=[500] * 4)
    start_sender(WEBHOOK_MAX_ATTEMPTS="4")

    pay(as_alice, "bob", "1.00")

    [delivery] = wait_for_deliveries(as_alice, endpoint_id, 1, status="FAILED")
    assert delivery["attempts"] == 4 and delivery["nextAttemptAt"] is None and delivery["deliveredAt"] is None
    [endpoint] = as_alice.execute(ENDPOINTS)["webhookEndpoints"]
    assert endpoint["enabled"] is False and "HTTP 500" in endpoint["disabledReason"]

    # While disabled, new events queue nothing for it.
    pay(as_alice, "bob", "1.00")
    assert len(deliveries(as_alice, endpoint_id)) == 1

    enabled = as_alice.execute(UPDATE, {"input": {"id": endpoint_id, "enabled": True}})["updateWebhookEndpoint"]
    assert enabled["endpoint"]["enabled"] is True and enabled["endpoint"]["disabledReason"] is None
    pay(as_alice, "bob", "1.00")
    wait_for_deliveries(as_alice, endpoint_id, 1, status="SUCCEEDED")


def test_redelivering_by_hand_sends_the_same_event_again_once_per_key(
    as_alice, alice, bob, fund, receiver, start_sender
):
    fund(alice, "100.00")
    endpoint_id, secret = add_endpoint(as_alice, receiver.url("/again"))
    start_sender()
    pay(as_alice, "bob", "1.00")
    pay(as_alice, "bob", "2.00")
    older, newer = sorted(wait_for_deliveries(as_alice, endpoint_id, 2), key=lambda delivery: int(delivery["id"]))

    again = as_alice.execute(REDELIVER, {"id": older["id"], "key": "again-1"})["redeliverWebhook"]
    assert again["errors"] == [] and again["delivery"]["eventId"] == older["eventId"]
    assert again["delivery"]["redelivery"] is True and again["delivery"]["id"] != older["id"]
    repeat = as_alice.execute(REDELIVER, {"id": older["id"], "key": "again-1"})["redeliverWebhook"]
    assert repeat["delivery"]["id"] == again["delivery"]["id"]
    reused = as_alice.execute(REDELIVER, {"id": newer["id"], "key": "again-1"})["redeliverWebhook"]
    assert [error["code"] for error in reused["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]

    wait_for_deliveries(as_alice, endpoint_id, 3)
    sent = [request.headers["webhook-id"] for request in receiver.at("/again")]
    assert sorted(sent) == sorted([older["eventId"], older["eventId"], newer["eventId"]])
    request = receiver.at("/again")[-1]
    assert Webhook(secret).verify(request.body, request.headers)["data"]["event_id"] == older["eventId"]


def test_after_a_rotation_both_secrets_verify_for_the_grace_period(as_alice, alice, bob, fund, receiver, start_sender):
    fund(alice, "100.00")
    endpoint_id, old = add_endpoint(as_alice, receiver.url("/rotating"))
    new = as_alice.execute(ROTATE, {"id": endpoint_id})["rotateWebhookSecret"]["secret"]
    start_sender()

    pay(as_alice, "bob", "1.00")

    [request] = receiver.wait_for("/rotating", 1)
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    Webhook(new).verify(request.body, request.headers)
    Webhook(old).verify(request.body, request.headers)


def test_each_endpoint_gets_the_event_types_it_chose_and_only_events_that_concern_its_owner(
    as_alice, alice, bob, fund, api, token_for, make_user, receiver, start_sender
):
    fund(alice, "5.00")
    as_bob = api.as_user(token_for(bob))
    carol = make_user("carol")
    as_carol = api.as_user(token_for(carol))
    alice_failed, _ = add_endpoint(as_alice, receiver.url("/alice-failed"), "TRANSACTION_FAILED")
    bob_all, _ = add_endpoint(
        as_bob, receiver.url("/bob-all"), "TRANSACTION_SUCCEEDED", "TRANSACTION_FAILED", "TRANSACTION_PENDING"
    )
    add_endpoint(as_carol, receiver.url("/carol"), "TRANSACTION_SUCCEEDED", "TRANSACTION_FAILED")
    start_sender()

    assert pay(as_alice, "bob", "50.00")["transaction"]["status"] == "FAILED"  # too little money
    hold = as_alice.execute(
        HOLD,
        {"input": {"receiverUsername": "bob", "amount": "2.00", "idempotencyKey": "h1", "expiresInSeconds": 600}},
    )["createHold"]
    assert hold["transaction"]["status"] == "PENDING"
    assert pay(as_alice, "bob", "1.00")["transaction"]["status"] == "SUCCESS"

    [failed] = receiver.wait_for("/alice-failed", 1)
    assert '"failure_code":"INSUFFICIENT_FUNDS"' in failed.body
    # The would-be receiver hears of the authorisation it may capture and of money that arrived, not of the refusal.
    received = receiver.wait_for("/bob-all", 2)
    wait_for_deliveries(as_bob, bob_all, 2)
    assert sorted(request.body.split('"type":"')[1].split('"')[0] for request in received) == [
        "transaction.pending",
        "transaction.succeeded",
    ]
    wait_for_deliveries(as_alice, alice_failed, 1)
    assert receiver.at("/carol") == []
    assert len(receiver.at("/alice-failed")) == 1


def test_the_delivery_log_is_its_owners_alone(as_alice, alice, bob, fund, api, token_for, receiver, start_sender):
    fund(alice, "100.00")
    endpoint_id, _ = add_endpoint(as_alice, receiver.url("/mine"))
    start_sender()
    pay(as_alice, "bob", "1.00")
    [delivery] = wait_for_deliveries(as_alice, endpoint_id, 1)

    as_bob = api.as_user(token_for(bob))
    assert deliveries(as_bob) == [] and deliveries(as_bob, endpoint_id) == []
    stolen = as_bob.execute(REDELIVER, {"id": delivery["id"], "key": "steal"})["redeliverWebhook"]
    assert [error["code"] for error in stolen["errors"]] == ["INVALID_INPUT"]
    assert WebhookDelivery.objects.count() == 1
