"""The benchmark's bulk fixtures write a ledger that verify_ledger accepts (they bypass the service for speed)."""

import pytest

from bench import fixtures
from wallet.ledger_audit import audit_ledger
from wallet.models import LedgerEntry, TransactionParty, Wallet

pytestmark = pytest.mark.django_db


def test_funded_users_and_grown_history_keep_the_ledger_consistent():
    fixtures.create_funded_users(prefix="user", count=50, balance_minor=10_000, password="x")
    one, other = Wallet.objects.filter(user__username__startswith="user").order_by("id")[:2]

    fixtures.grow_history(one_wallet=one, other_wallet=other, total_entries=1_000)

    assert LedgerEntry.objects.count() == 1_000
    assert {str(w.balance) for w in Wallet.objects.filter(kind="CUSTOMER")} == {"100.00"}
    assert TransactionParty.objects.filter(wallet=one).count() == 1 + (1_000 - 100) // 2
    report = audit_ledger()
    assert report.problems == [] and report.ledger_sum == 0


def test_the_tagged_ledger_of_the_lookups_is_consistent_and_numbers_each_users_orders_from_1001():
    from bench import lookups
    from wallet.models import Transaction

    fixtures.seed_tagged(prefix="tag", others=30, own=100, password="x")
    fixtures.grow_tagged(prefix="tag", users=41, total_entries=1_000, password="x")

    assert LedgerEntry.objects.count() == 1_000
    report = audit_ledger()
    assert report.problems == [] and report.ledger_sum == 0
    merchant = lookups.merchant()
    own = Transaction.objects.filter(initiator=merchant).exclude(reference="")
    assert sorted(own.values_list("reference", flat=True)) == [f"INV-{order}" for order in range(1001, 1101)]
    assert own.get(reference="INV-1020").metadata == {"order_id": "1020", "channel": "app"}
    assert TransactionParty.objects.filter(wallet=merchant.wallet).count() == 1 + 100 + 100
    # Every other user's first order reached the merchant; later ones went to the others, the ten added later too.
    firsts = Transaction.objects.filter(reference="INV-1001").exclude(initiator=merchant)
    assert firsts.filter(receiver_wallet=merchant.wallet).count() == 30
    initiators = Transaction.objects.exclude(reference="").values("initiator").distinct().count()
    assert initiators == 41
    for user in Transaction.objects.exclude(reference="").values_list("initiator", flat=True).distinct():
        references = Transaction.objects.filter(initiator=user).exclude(reference="")
        orders = sorted(int(reference[4:]) for reference in references.values_list("reference", flat=True))
        assert orders == list(range(1001, 1001 + len(orders)))


def test_the_lookups_scenario_asks_what_the_service_answers_as_it_expects():
    from graphql_jwt.shortcuts import get_token

    from bench import lookups

    fixtures.seed_tagged(prefix="tag", others=30, own=100, password="x")
    token = get_token(lookups.merchant())

    for name in lookups.QUERIES:  # each checks its answer's number of edges
        statements = lookups.captured_sql(name, token)
        assert any("wallet_transactionparty" in sql for sql in statements), name


def test_the_sql_entry_hash_of_pgbench_is_the_services():
    from datetime import UTC, datetime

    from django.db import connection

    from wallet.ledger_chain import GENESIS_HASH, entry_digest, epoch_microseconds, hash_key

    fixtures.install_sql_entry_hash()
    moment = datetime(2026, 11, 22, 3, 4, 5, 678901, tzinfo=UTC)
    for previous, wallet, txn, delta, pending, balance_after in (
        (GENESIS_HASH, 1, 2, -150, False, 0),
        ("ab" * 32, 12345, 67890, 99, True, 123456789012),
    ):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT bench_ledger_entry_hash(%s, %s, %s, %s, %s, %s, %s)",
                [previous, wallet, txn, delta, pending, balance_after, moment],
            )
            in_sql = cursor.fetchone()[0]
        assert in_sql == entry_digest(
            previous_hash=previous,
            wallet_id=wallet,
            transaction_id=txn,
            delta_minor=delta,
            pending=pending,
            balance_after_minor=balance_after,
            created_at_us=epoch_microseconds(moment),
            key=hash_key(),
        )


@pytest.mark.django_db(transaction=True)
def test_pgbench_transfers_and_service_transfers_share_the_hash_chains():
    import subprocess
    from decimal import Decimal
    from pathlib import Path

    from django.conf import settings
    from django.db import connection

    from scripts.harness import postgres_bin
    from wallet.services import transfer_create

    fixtures.create_funded_users(prefix="user", count=4, balance_minor=10_000, password="x")
    fixtures.install_sql_entry_hash()
    wallets = list(Wallet.objects.filter(user__username__startswith="user").order_by("id"))
    db = connection.settings_dict
    subprocess.run(
        [
            postgres_bin("pgbench"),
            "--no-vacuum",
            "--protocol=prepared",
            "--client=2",
            "--transactions=10",
            f"--file={Path(settings.BASE_DIR) / 'bench' / 'pgbench_transfer.sql'}",
            f"--define=first_wallet={wallets[0].pk}",
            f"--define=last_wallet={wallets[-1].pk}",
            "--define=hot_wallet=0",
            "--define=hot_receivers=0",
            "--define=hot_receiver_first=0",
            f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        ],
        check=True,
        capture_output=True,
    )
    transfer_create(
        sender=wallets[0].user, receiver_username=wallets[1].user.username, amount=Decimal("1"), idempotency_key="k"
    )

    assert LedgerEntry.objects.filter(transaction__request_fingerprint="pgbench").count() == 40
    report = audit_ledger()
    assert report.problems == [] and report.ledger_sum == 0
