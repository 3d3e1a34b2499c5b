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
