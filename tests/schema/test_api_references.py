"""References and metadata, over HTTP: attached to any movement, returned on Transaction and in events, unique per
initiator among movements that took effect, and found again by the history's filters."""

import pytest
from django.db import IntegrityError, transaction

from wallet.models import OutboxEvent, Transaction

pytestmark = pytest.mark.django_db(transaction=True)

TRANSFER = """
mutation($input: TransferInput!) { transfer(input: $input) {
  transaction { id status failureCode reference metadata } replayed errors { code field } } }
"""
BATCH = """
mutation($input: TransferBatchInput!) { transferBatch(input: $input) {
  transactions { status failureCode reference } errors { code field } } }
"""
HISTORY = """
query($reference: String, $key: String, $value: String) {
  transactions(first: 50, reference: $reference, metadataKey: $key, metadataValue: $value) {
    edges { node { amount reference metadata } } } }
"""


def transfer(client, key: str, amount: str = "1.00", **tags) -> dict:
    variables = {"input": {"receiverUsername": "bob", "amount": amount, "idempotencyKey": key, **tags}}
    return client.execute(TRANSFER, variables)["transfer"]


def test_a_reference_and_metadata_come_back_on_the_transaction_and_in_its_event(as_alice, alice, bob, fund):
    fund(alice, "100.00")

    paid = transfer(as_alice, "k1", reference="order-1001", metadata={"order": "1001", "channel": "web"})

    assert paid["errors"] == [] and paid["transaction"]["status"] == "SUCCESS"
    assert paid["transaction"]["reference"] == "order-1001"
    assert paid["transaction"]["metadata"] == {"order": "1001", "channel": "web"}
    event = OutboxEvent.objects.get(transaction__reference="order-1001").payload
    assert event["reference"] == "order-1001" and event["metadata"] == {"order": "1001", "channel": "web"}
    untagged = transfer(as_alice, "k2")["transaction"]
    assert untagged["reference"] is None and untagged["metadata"] == {}


def test_a_reference_names_one_movement_that_took_effect(as_alice, alice, bob, fund):
    fund(alice, "100.00")
    assert transfer(as_alice, "first", reference="order-7")["transaction"]["status"] == "SUCCESS"
    balance = alice.wallet.__class__.objects.get(pk=alice.wallet.pk).balance

    again = transfer(as_alice, "second", reference="order-7")

    assert again["transaction"]["status"] == "FAILED"
    assert again["transaction"]["failureCode"] == "REFERENCE_ALREADY_USED"
    assert again["errors"] == [{"code": "REFERENCE_ALREADY_USED", "field": "reference"}]
    assert alice.wallet.__class__.objects.get(pk=alice.wallet.pk).balance == balance  # nothing moved
    assert transfer(as_alice, "second", reference="order-7")["replayed"] is True  # the refusal replays
    # A refused movement does not hold its reference: a later one may use it.
    refused = transfer(as_alice, "too-much", amount="5000.00", reference="order-8")
    assert refused["transaction"]["failureCode"] == "INSUFFICIENT_FUNDS"
    assert transfer(as_alice, "fits", reference="order-8")["transaction"]["status"] == "SUCCESS"


def test_a_keys_reference_is_part_of_its_request(as_alice, alice, bob, fund):
    fund(alice, "100.00")
    transfer(as_alice, "k", reference="a")

    other = transfer(as_alice, "k", reference="b")

    assert other["errors"] == [{"code": "IDEMPOTENCY_KEY_REUSED", "field": "idempotencyKey"}]


@pytest.mark.parametrize(
    "metadata",
    [
        ["not", "an", "object"],
        {"nested": {"no": "thanks"}},
        {"number": 1},
        {"bad key!": "x"},
        {"k": "v" * 501},
        {f"k{i}": "v" for i in range(21)},
    ],
)
def test_bad_metadata_is_invalid_input_and_moves_nothing(as_alice, alice, bob, fund, metadata):
    fund(alice, "100.00")
    count = Transaction.objects.count()

    refused = transfer(as_alice, "k", metadata=metadata)

    assert refused["transaction"] is None
    assert refused["errors"] == [{"code": "INVALID_INPUT", "field": "metadata"}]
    assert Transaction.objects.count() == count


def test_a_batch_refuses_a_reference_used_twice_in_it(as_alice, alice, bob, fund):
    fund(alice, "100.00")
    items = [
        {"receiverUsername": "bob", "amount": "1.00", "reference": "line-1"},
        {"receiverUsername": "bob", "amount": "1.00", "reference": "line-1"},
        {"receiverUsername": "bob", "amount": "1.00", "reference": "line-2", "metadata": {"x": "y"}},
    ]

    result = as_alice.execute(BATCH, {"input": {"transfers": items, "atomic": False, "idempotencyKey": "b"}})

    rows = result["transferBatch"]["transactions"]
    assert [(r["status"], r["failureCode"], r["reference"]) for r in rows] == [
        ("SUCCESS", None, "line-1"),
        ("FAILED", "REFERENCE_ALREADY_USED", "line-1"),
        ("SUCCESS", None, "line-2"),
    ]
    assert result["transferBatch"]["errors"] == [{"code": "REFERENCE_ALREADY_USED", "field": "transfers.1.reference"}]


def test_the_history_filters_by_reference_and_by_metadata(as_alice, alice, bob, fund, api, token_for):
    fund(alice, "100.00")
    transfer(as_alice, "a", amount="1.00", reference="order-1", metadata={"shop": "north"})
    transfer(as_alice, "b", amount="2.00", reference="order-2", metadata={"shop": "south"})
    transfer(as_alice, "c", amount="3.00", metadata={"shop": "north"})

    def amounts(client, **variables) -> list[str]:
        edges = client.execute(HISTORY, variables)["transactions"]["edges"]
        return [edge["node"]["amount"] for edge in edges]

    assert amounts(as_alice, reference="order-2") == ["2.00"]
    assert amounts(as_alice, key="shop", value="north") == ["3.00", "1.00"]
    assert amounts(as_alice, reference="order-1", key="shop", value="south") == []
    # The receiver sees the sender's tags on what reached them, and filters by them too.
    assert amounts(api.as_user(token_for(bob)), reference="order-1") == ["1.00"]
    lone = as_alice.request(HISTORY, {"key": "shop"})
    assert lone.data is None and lone.error_codes == ["BAD_USER_INPUT"]


def test_the_database_refuses_a_second_success_with_one_reference(alice, bob, fund):
    """The engine refuses it first; the partial unique index is the last word, whoever writes."""
    paid = fund(alice, "10.00").transaction
    row = {
        "kind": Transaction.Kind.TRANSFER, "status": Transaction.Status.SUCCESS, "amount": "1.00", "currency": "USD",
        "initiator": alice, "sender_wallet": alice.wallet, "receiver_wallet": bob.wallet,
        "request_fingerprint": "x", "reference": "dup", "created_at": paid.created_at,
    }  # fmt: skip
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Transaction.objects.create(idempotency_key="a", **row)
        Transaction.objects.create(idempotency_key="b", **row)
    assert "reference_unique_per_initiator" in str(refused.value)
