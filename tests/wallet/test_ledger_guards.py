"""The ledger defends itself: append-only rows, balanced transactions, and verify_ledger."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction

from wallet.models import AppendOnlyError, LedgerEntry, Transaction, Wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def transfer(make_user, fund):
    from wallet.services import transfer_create

    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "50.00")
    return transfer_create(sender=alice, receiver_username="bob", amount=Decimal("20"), idempotency_key="t").transaction


def test_models_refuse_to_update_or_delete_ledger_rows(transfer):
    entry = transfer.entries.first()

    for action in (lambda: transfer.save(), transfer.delete, entry.save, entry.delete):
        with pytest.raises(AppendOnlyError):
            action()
    with pytest.raises(AppendOnlyError):
        Transaction.objects.filter(pk=transfer.pk).update(note="edited")
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.all().delete()


def test_wallets_with_ledger_rows_cannot_be_deleted(transfer):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        Wallet.objects.get(user__username="bob").delete()


def test_the_database_refuses_sql_updates_of_ledger_rows(transfer):
    for table in ("wallet_transaction", "wallet_ledgerentry"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET created_at = created_at")


def test_postgres_refuses_sql_deletes_of_ledger_rows(transfer):
    for table in ("wallet_ledgerentry", "wallet_transaction"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")


def test_postgres_refuses_to_commit_an_unbalanced_transaction(transfer):
    alice_wallet = Wallet.objects.get(user__username="alice")
    with pytest.raises(IntegrityError, match="unbalanced"), transaction.atomic():
        txn = Transaction.objects.create(
            kind="ADD_MONEY",
            status="SUCCESS",
            amount=Decimal("1"),
            currency="USD",
            initiator=alice_wallet.user,
            sender_wallet=alice_wallet,
            receiver_wallet=alice_wallet,
            idempotency_key="forged",
            request_fingerprint="x",
        )
        LedgerEntry.objects.create(
            transaction=txn, wallet=alice_wallet, delta=Decimal("1"), balance_after=Decimal("31")
        )
        LedgerEntry.objects.create(
            transaction=txn,
            wallet=Wallet.objects.get(user__username="bob"),
            delta=Decimal("1"),
            balance_after=Decimal("21"),
        )
        # The check is deferred to commit, as in django-hordak; force it here.
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_postgres_refuses_a_successful_transaction_without_entries(make_user):
    alice = make_user("alice")
    wallet = Wallet.objects.get(user=alice)
    with pytest.raises(IntegrityError, match="entries"), transaction.atomic():
        Transaction.objects.create(
            kind="ADD_MONEY",
            status="SUCCESS",
            amount=Decimal("1"),
            currency="USD",
            initiator=alice,
            sender_wallet=wallet,
            receiver_wallet=wallet,
            idempotency_key="forged",
            request_fingerprint="x",
        )
        connection.cursor().execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_customer_wallet_cannot_go_negative_even_by_sql(make_user):
    alice = make_user("alice")
    with pytest.raises(IntegrityError), transaction.atomic():
        Wallet.objects.filter(user=alice).update(balance=Decimal("-0.01"))


def test_verify_ledger_passes_on_a_consistent_ledger(transfer):
    out = StringIO()

    call_command("verify_ledger", stdout=out)

    assert "ledger OK" in out.getvalue()
    assert "ledger sum: 0.00" in out.getvalue()


def test_verify_ledger_fails_when_a_cached_balance_drifts(transfer):
    Wallet.objects.filter(user__username="bob").update(balance=Decimal("21.00"))
    err = StringIO()

    with pytest.raises(CommandError, match="ledger verification failed"):
        call_command("verify_ledger", stdout=StringIO(), stderr=err)

    assert "cached balance 21.00, sum of posted entries 20.00" in err.getvalue()


def test_verify_ledger_exits_non_zero_from_the_command_line(transfer):
    Wallet.objects.filter(user__username="bob").update(balance=Decimal("0.00"))
    from django.core.management import ManagementUtility

    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "verify_ledger"]).execute()

    assert exited.value.code != 0


def test_verify_ledger_fails_when_the_daily_limit_counter_drifts(transfer):
    Wallet.objects.filter(user__username="alice").update(spent_today=Decimal("5.00"))
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=StringIO(), stderr=err)

    assert "counts 5.00 sent today, its transactions say 20.00" in err.getvalue()


def test_verify_ledger_fails_when_the_held_amount_drifts(make_user, fund):
    from wallet.services import hold_create

    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "50.00")
    hold_create(payer=alice, receiver_username="bob", amount=Decimal("20"), idempotency_key="h", expires_in_seconds=60)
    Wallet.objects.filter(user=alice).update(held=Decimal("0.00"))
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("verify_ledger", stdout=StringIO(), stderr=err)

    assert "held 0.00, pending entries -20.00" in err.getvalue()
