"""One key space per user: a key that moved money in one kind of request is IDEMPOTENCY_KEY_REUSED in any other,
batches included, and moves nothing. (Before the posting engine, a single movement's key and a batch's key were
two key spaces, and reusing one for the other moved money a second time.)"""

import pytest

from wallet.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)

PAYLOAD = "replayed errors { code field }"
SINGLES = {
    "addMoney": 'addMoney(input: {amount: "5.00", idempotencyKey: "shared"})',
    "transfer": 'transfer(input: {receiverUsername: "bob", amount: "1.00", idempotencyKey: "shared"})',
    "withdraw": 'withdraw(input: {amount: "1.00", idempotencyKey: "shared"})',
    "createHold": (
        'createHold(input: {receiverUsername: "bob", amount: "1.00", idempotencyKey: "shared", expiresInSeconds: 60})'
    ),
}
BATCH = (
    'transferBatch(input: {transfers: [{receiverUsername: "bob", amount: "1.00"}, '
    '{receiverUsername: "bob", amount: "2.00"}], idempotencyKey: "shared"})'
)


def _run(client, field: str) -> dict:
    (payload,) = client.execute(f"mutation {{ {field} {{ {PAYLOAD} }} }}").values()
    return payload


@pytest.mark.parametrize("single", SINGLES)
def test_a_singles_key_is_refused_by_a_batch_and_a_batchs_by_a_single(single, as_alice, alice, bob, fund):
    fund(alice, "100.00")

    assert _run(as_alice, SINGLES[single]) == {"replayed": False, "errors": []}
    count = Transaction.objects.count()
    refused = _run(as_alice, BATCH)
    assert refused["replayed"] is False
    assert refused["errors"] == [{"code": "IDEMPOTENCY_KEY_REUSED", "field": "idempotencyKey"}]
    assert Transaction.objects.count() == count  # nothing moved
    assert _run(as_alice, SINGLES[single])["replayed"] is True  # the key still replays what it did


@pytest.mark.parametrize("single", SINGLES)
def test_a_batchs_key_is_refused_by_any_single(single, as_alice, alice, bob, fund):
    fund(alice, "100.00")

    assert _run(as_alice, BATCH) == {"replayed": False, "errors": []}
    count = Transaction.objects.count()
    refused = _run(as_alice, SINGLES[single])
    assert refused["errors"] == [{"code": "IDEMPOTENCY_KEY_REUSED", "field": "idempotencyKey"}]
    assert Transaction.objects.count() == count
    assert _run(as_alice, BATCH)["replayed"] is True
