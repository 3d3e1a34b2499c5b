"""Bounded lock waits on the money path, on real PostgreSQL row locks held by another connection.

A wallet locked too long gives the client the retryable RETRY_LATER (HTTP 503) within about
WALLET_LOCK_TIMEOUT_MS, commits nothing, and the same idempotency key succeeds once the lock is gone. Deadlocks and
serialization failures are retried inside the service, a bounded number of times.
"""

import contextlib
import threading
import time
from decimal import Decimal
from unittest import mock

import psycopg2
import pytest
import requests
from django.db import OperationalError, connection
from django.db import transaction as db_transaction

from wallet import services
from wallet.errors import WalletBusy
from wallet.models import Transaction, Wallet
from wallet.services import retries
from wallet.services.posting import SYSTEM_ACCOUNT_SHARDS

pytestmark = pytest.mark.django_db(transaction=True)

TRANSFER = (
    "mutation Transfer($input: TransferInput!) {"
    " transfer(input: $input) { transaction { id status } wallet { balance } replayed errors { code } } }"
)


def connect_elsewhere():
    """Another connection to the test database, as another process would hold one."""
    db = connection.settings_dict
    return psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"], port=db["PORT"]
    )


@contextlib.contextmanager
def locked_elsewhere(*wallets: Wallet):
    """Holds the wallets' row locks from another connection's open transaction until the block ends."""
    other = connect_elsewhere()
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT id FROM wallet_wallet WHERE id = ANY(%s) FOR UPDATE", [[w.pk for w in wallets]])
        yield other
    finally:
        other.rollback()
        other.close()


def book(*wallets: Wallet) -> tuple:
    """What the ledger holds for these wallets: their balances and holds, and how many transactions exist."""
    fresh = Wallet.objects.filter(pk__in=[w.pk for w in wallets]).order_by("pk")
    return [(w.balance, w.held) for w in fresh], Transaction.objects.count()


def post(url: str, token: str, variables: dict) -> requests.Response:
    return requests.post(
        url, json={"query": TRANSFER, "variables": variables}, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_a_wallet_locked_too_long_answers_retry_later_and_the_same_key_succeeds_once_released(
    live_server, make_user, fund, token_for, settings
):
    settings.WALLET_LOCK_TIMEOUT_MS = 1000
    alice, bob = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    url, token = f"{live_server.url}/graphql/", token_for(alice)
    variables = {"input": {"receiverUsername": "bob", "amount": "12.50", "idempotencyKey": "pay-bob-1"}}
    before = book(alice.wallet, bob.wallet)

    with locked_elsewhere(bob.wallet):
        began = time.monotonic()
        response = post(url, token, variables)
        waited = time.monotonic() - began
        assert response.status_code == 503 and response.headers["Retry-After"] == "1"
        body = response.json()
        assert body["data"] is None
        [error] = body["errors"]
        assert error["extensions"] == {"code": "RETRY_LATER", "retryable": True}
        assert error["message"] == WalletBusy.default_message
        assert 1.0 <= waited < 4.0  # about the lock timeout: not a hung request
        assert book(alice.wallet, bob.wallet) == before  # nothing moved, nothing recorded

    response = post(url, token, variables)
    assert response.status_code == 200
    first = response.json()["data"]["transfer"]
    assert first["transaction"]["status"] == "SUCCESS" and first["replayed"] is False
    assert first["wallet"]["balance"] == "87.50"
    again = post(url, token, variables).json()["data"]["transfer"]
    assert again["replayed"] is True and again["transaction"] == first["transaction"]
    assert Transaction.objects.filter(initiator=alice, idempotency_key="pay-bob-1").count() == 1


def _transfer(alice, bob):
    return lambda: services.transfer_create(
        sender=alice, receiver_username="bob", amount=Decimal("5"), idempotency_key="k"
    ), [bob.wallet]


def _add_money(alice, bob):
    return lambda: services.money_add(user=alice, amount=Decimal("5"), idempotency_key="k"), [alice.wallet]


def _withdraw(alice, bob):
    return lambda: services.withdrawal_create(user=alice, amount=Decimal("5"), idempotency_key="k"), [alice.wallet]


def _pay_by_mobile(alice, bob):
    return lambda: services.mobile_payment_create(
        sender=alice, mobile_number=bob.mobile_number, amount=Decimal("5"), idempotency_key="k"
    ), [bob.wallet]


def _reverse(alice, bob):
    paid = services.transfer_create(sender=alice, receiver_username="bob", amount=Decimal("5"), idempotency_key="p")
    return lambda: services.reversal_create(
        user=bob, transaction_id=paid.transaction.pk, amount=Decimal("5"), idempotency_key="k"
    ), [alice.wallet]


def _hold(alice, bob):
    return lambda: services.hold_create(
        payer=alice, receiver_username="bob", amount=Decimal("5"), idempotency_key="k", expires_in_seconds=60
    ), [bob.wallet]


def _capture(alice, bob):
    hold = services.hold_create(
        payer=alice, receiver_username="bob", amount=Decimal("5"), idempotency_key="h", expires_in_seconds=60
    ).transaction
    return lambda: services.hold_capture(user=alice, hold_id=hold.pk, amount=None, idempotency_key="k"), [bob.wallet]


def _void(alice, bob):
    hold = services.hold_create(
        payer=alice, receiver_username="bob", amount=Decimal("5"), idempotency_key="h", expires_in_seconds=60
    ).transaction
    return lambda: services.hold_void(user=alice, hold_id=hold.pk, idempotency_key="k"), [alice.wallet]


def _batch(alice, bob):
    items = [services.BatchItem(receiver_username="bob", amount=Decimal("5"))]
    return lambda: services.transfer_batch_create(sender=alice, transfers=items, atomic=True, idempotency_key="k"), [
        bob.wallet
    ]


@pytest.mark.parametrize(
    "movement", [_transfer, _add_money, _withdraw, _pay_by_mobile, _reverse, _hold, _capture, _void, _batch]
)
def test_every_money_movement_gives_up_on_a_locked_wallet_and_commits_nothing(movement, make_user, fund, settings):
    settings.WALLET_LOCK_TIMEOUT_MS = 300
    alice, bob = make_user("alice"), make_user("bob", mobile_number="+14155550123")
    fund(alice, "100.00")
    call, locked = movement(alice, bob)
    before = book(alice.wallet, bob.wallet)

    with locked_elsewhere(*locked):
        began = time.monotonic()
        with pytest.raises(WalletBusy):
            call()
        assert time.monotonic() - began < 3
        assert book(alice.wallet, bob.wallet) == before

    result = call()  # the same key, once the lock is gone
    assert result.replayed is False
    assert call().replayed is True


def test_a_statement_running_too_long_gives_up_too(make_user, fund, settings):
    settings.WALLET_LOCK_TIMEOUT_MS = 0  # no lock bound: the statement bound ends the wait
    settings.WALLET_STATEMENT_TIMEOUT_MS = 500
    alice, bob = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    before = book(alice.wallet, bob.wallet)

    with locked_elsewhere(bob.wallet), pytest.raises(WalletBusy) as raised:
        services.transfer_create(sender=alice, receiver_username="bob", amount=Decimal("5"), idempotency_key="k")

    assert retries.sqlstate(raised.value.__cause__) == retries.QUERY_CANCELED
    assert book(alice.wallet, bob.wallet) == before


def test_a_real_deadlock_is_retried_and_the_transfer_happens_once(make_user, fund, caplog):
    alice, bob = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    first, second = sorted([alice.wallet.pk, bob.wallet.pk])  # the service locks `first`, then `second`
    other, watcher = connect_elsewhere(), connect_elsewhere()
    watcher.autocommit = True
    outcome = {}

    def transfer():
        try:
            outcome["result"] = services.transfer_create(
                sender=alice, receiver_username="bob", amount=Decimal("10"), idempotency_key="deadlock"
            )
        except BaseException as error:  # noqa: BLE001 - reported below
            outcome["error"] = error
        finally:
            connection.close()

    def service_is_waiting() -> bool:
        with watcher.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> %s",
                [other.info.backend_pid],
            )
            return cursor.fetchone()[0] > 0

    try:
        with other.cursor() as cursor:
            # Only the service's backend may detect the deadlock (it waits 1 s by default), so it is the victim.
            cursor.execute("SET deadlock_timeout = '30s'")
            cursor.execute("SELECT id FROM wallet_wallet WHERE id = %s FOR UPDATE", [second])
            service = threading.Thread(target=transfer)
            service.start()
            deadline = time.monotonic() + 10
            while not service_is_waiting():  # it holds `first` and waits for `second`
                assert time.monotonic() < deadline, "the service never waited for the lock"
                time.sleep(0.02)
            # Now wait for `first` while holding `second`: a deadlock. PostgreSQL aborts the service's
            # transaction, which frees `first` for this one.
            cursor.execute("SELECT id FROM wallet_wallet WHERE id = %s FOR UPDATE", [first])
        other.rollback()  # the service's retry gets both locks
        service.join(timeout=30)
    finally:
        other.close()
        watcher.close()

    assert "error" not in outcome, outcome
    assert outcome["result"].transaction.status == "SUCCESS" and outcome["result"].replayed is False
    assert Transaction.objects.filter(idempotency_key="deadlock").count() == 1
    assert any(retries.DEADLOCK_DETECTED in record.getMessage() for record in caplog.records)
    assert Wallet.objects.get(pk=alice.wallet.pk).balance == Decimal("90.00")


class _SerializationFailure(Exception):
    pgcode = retries.SERIALIZATION_FAILURE


def _conflict(*args, **kwargs):
    try:
        raise _SerializationFailure("could not serialize access due to concurrent update")
    except _SerializationFailure as cause:
        raise OperationalError("could not serialize access due to concurrent update") from cause


def test_conflicts_are_retried_a_bounded_number_of_times_then_retry_later(make_user, fund):
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    count = Transaction.objects.count()

    with mock.patch("wallet.services.posting._call", side_effect=_conflict) as lock, pytest.raises(WalletBusy):
        services.transfer_create(sender=alice, receiver_username="bob", amount=Decimal("5"), idempotency_key="k")

    assert lock.call_count == retries.ATTEMPTS
    assert Transaction.objects.count() == count


def test_inside_an_outer_transaction_a_conflict_is_not_retried(make_user, fund):
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "100.00")

    with (
        mock.patch("wallet.services.posting._call", side_effect=_conflict) as lock,
        db_transaction.atomic(),
        pytest.raises(WalletBusy),
    ):
        services.transfer_create(sender=alice, receiver_username="bob", amount=Decimal("5"), idempotency_key="k")

    assert lock.call_count == 1


def test_top_ups_do_not_queue_behind_one_funding_row(make_user, settings):
    """FUNDING is sharded by the customer wallet's id: a top-up locks its own shard, so while one shard is held
    elsewhere a top-up of a wallet in another shard goes through at once, and only that shard's wallets wait."""
    settings.WALLET_LOCK_TIMEOUT_MS = 300
    users = [make_user(f"topper{i}") for i in range(SYSTEM_ACCOUNT_SHARDS + 1)]
    for user in users:  # every shard exists now
        services.money_add(user=user, amount=Decimal("1.00"), idempotency_key="first")
    shard_of = {user: user.wallet.pk % SYSTEM_ACCOUNT_SHARDS for user in users}
    held = users[0]
    same = next(user for user in users[1:] if shard_of[user] == shard_of[held])
    other = next(user for user in users[1:] if shard_of[user] != shard_of[held])
    funding = Wallet.objects.get(kind=Wallet.Kind.FUNDING, shard=shard_of[held])
    assert Wallet.objects.filter(kind=Wallet.Kind.FUNDING).count() == SYSTEM_ACCOUNT_SHARDS

    with locked_elsewhere(funding):
        # Succeeding at all shows it never needed the held row: waiting for it would have ended in WalletBusy.
        assert services.money_add(user=other, amount=Decimal("2.00"), idempotency_key="k").replayed is False
        with pytest.raises(WalletBusy):
            services.money_add(user=same, amount=Decimal("2.00"), idempotency_key="k")

    assert services.money_add(user=same, amount=Decimal("2.00"), idempotency_key="k").replayed is False
    funding_total = sum(Wallet.objects.filter(kind=Wallet.Kind.FUNDING).values_list("balance", flat=True))
    assert funding_total == -Decimal("1.00") * len(users) - Decimal("4.00")  # the shards add up to the account
