"""Concurrent clients over real HTTP against PostgreSQL: what a double-clicking app would send."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from tests.schema import documents as doc
from wallet.ledger_audit import audit_ledger
from wallet.models import Transaction, Wallet

pytestmark = pytest.mark.django_db(transaction=True)


def send_all_at_once(client, variables_list):
    barrier = threading.Barrier(len(variables_list))

    def send(variables):
        barrier.wait()
        return client.execute(doc.TRANSFER, {"input": variables})["transfer"]

    with ThreadPoolExecutor(max_workers=len(variables_list)) as pool:
        return list(pool.map(send, variables_list))


def test_one_key_sent_by_many_clients_at_once_moves_money_once(as_alice, alice, bob, fund):
    fund(alice, "100.00")
    request = {"receiverUsername": "bob", "amount": "10.00", "idempotencyKey": "double-click"}

    results = send_all_at_once(as_alice, [request] * 8)

    assert all(result["errors"] == [] for result in results)
    assert len({result["transaction"]["id"] for result in results}) == 1
    assert sorted(result["replayed"] for result in results) == [False] + [True] * 7
    assert Transaction.objects.filter(kind="TRANSFER").count() == 1
    assert Wallet.objects.get(user=bob).balance == Decimal("10.00")


def test_concurrent_transfers_over_http_never_overdraw(as_alice, alice, bob, fund):
    fund(alice, "50.00")

    results = send_all_at_once(
        as_alice,
        [{"receiverUsername": "bob", "amount": "10.00", "idempotencyKey": f"spend-{i}"} for i in range(10)],
    )

    outcomes = Counter(result["errors"][0]["code"] if result["errors"] else "SUCCESS" for result in results)
    assert outcomes == {"SUCCESS": 5, "INSUFFICIENT_FUNDS": 5}
    assert Wallet.objects.get(user=alice).balance == Decimal("0.00")
    assert audit_ledger().problems == []


def test_payer_and_merchant_resolving_one_hold_at_once_resolve_it_once(as_alice, alice, bob, fund, api, token_for):
    """A customer voids while the merchant captures, several times over: each hold resolves exactly once."""
    fund(alice, "100.00")
    as_bob = api.as_user(token_for(bob))
    holds = [
        as_alice.execute(
            doc.CREATE_HOLD,
            {"input": {"receiverUsername": "bob", "amount": "5.00", "idempotencyKey": f"h{i}", "expiresInSeconds": 60}},
        )["createHold"]["transaction"]["id"]
        for i in range(6)
    ]
    calls = []
    for index, hold in enumerate(holds):
        calls.append((as_bob, doc.CAPTURE_HOLD, {"holdId": hold, "idempotencyKey": f"ship-{index}"}, "captureHold"))
        calls.append((as_alice, doc.VOID_HOLD, {"holdId": hold, "idempotencyKey": f"cancel-{index}"}, "voidHold"))
    barrier = threading.Barrier(len(calls))

    def resolve(call):
        client, document, variables, field = call
        barrier.wait()
        return client.execute(document, {"input": variables})[field]

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        results = list(pool.map(resolve, calls))

    for hold_index in range(len(holds)):
        pair = results[2 * hold_index : 2 * hold_index + 2]
        codes = sorted(result["errors"][0]["code"] if result["errors"] else "RESOLVED" for result in pair)
        assert codes == ["HOLD_ALREADY_RESOLVED", "RESOLVED"], pair
    resolutions = Transaction.objects.filter(kind__in=["HOLD_CAPTURE", "HOLD_RELEASE"], status="SUCCESS")
    assert resolutions.count() == len(holds)
    captured = resolutions.filter(kind="HOLD_CAPTURE").count()
    assert Wallet.objects.get(user=bob).balance == Decimal("5.00") * captured
    assert Wallet.objects.get(user=alice).held == Decimal("0.00")
    assert audit_ledger().problems == []
