"""The ledger is tamper-evident: entries edited, deleted or inserted in the database break a wallet's hash
chain, and verify_ledger names the wallet and the entry, even where every sum still adds up."""

import hashlib
import re
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from wallet.ledger_audit import audit_ledger
from wallet.ledger_chain import GENESIS_HASH, entry_digest, epoch_microseconds, hash_key
from wallet.models import LedgerEntry, Transaction, Wallet
from wallet.services import (
    BatchItem,
    hold_capture,
    hold_create,
    reversal_create,
    transfer_batch_create,
    transfer_create,
    withdrawal_create,
)

CHAIN_PROBLEM = re.compile(r"^chain of wallet (\d+): (?:entry (\d+)|its head .* its last entry (\d+))")


@pytest.fixture
def ledger(make_user, fund):
    """Every kind of movement, through the services; ends with carol paying bob 1.00."""
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    fund(alice, "100.00")
    transfer = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("10"), idempotency_key="t")
    held = hold_create(
        payer=alice, receiver_username="bob", amount=Decimal("20"), idempotency_key="h", expires_in_seconds=600
    )
    hold_capture(user=alice, hold_id=held.transaction.pk, amount=Decimal("15"), idempotency_key="c")
    transfer_batch_create(
        sender=alice,
        transfers=[BatchItem("bob", Decimal("1")), BatchItem("carol", Decimal("2")), BatchItem("carol", Decimal("3"))],
        atomic=True,
        idempotency_key="b",
    )
    reversal_create(user=bob, transaction_id=transfer.transaction.pk, amount=Decimal("3"), idempotency_key="r")
    withdrawal_create(user=alice, amount=Decimal("4"), idempotency_key="w")
    last = transfer_create(sender=carol, receiver_username="bob", amount=Decimal("1"), idempotency_key="last")
    assert audit_ledger().problems == []
    return {
        "alice": Wallet.objects.get(user=alice),
        "bob": Wallet.objects.get(user=bob),
        "carol": Wallet.objects.get(user=carol),
        "transfer": transfer.transaction,
        "hold": held.transaction,
        "last": last.transaction,
    }


@contextmanager
def tampering():
    """A cursor past the ledger's append-only guards, as an attacker with the database's superuser has."""
    with connection.cursor() as cursor:
        # The test's movements are not committed: run their deferred checks now, as their commits would have.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("SET session_replication_role = replica")  # no triggers, no foreign key checks
        try:
            yield cursor
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def _now():
    """Now, as a parameter of raw SQL."""
    return connection.ops.adapt_datetimefield_value(timezone.now())


def chain_problems() -> tuple[list[str], list[str]]:
    """verify_ledger's problems: (those of the hash chain, the others)."""
    problems = audit_ledger().problems
    chain = [problem for problem in problems if problem.startswith("chain of wallet")]
    return chain, [problem for problem in problems if problem not in chain]


def pinpointed(problems: list[str]) -> set[tuple[int, int]]:
    """(wallet, entry) of each chain problem: the broken entry, or a head's last entry."""
    found = set()
    for problem in problems:
        match = CHAIN_PROBLEM.match(problem)
        assert match, problem
        found.add((int(match[1]), int(match[2] or match[3])))
    return found


def entry(txn: Transaction, wallet: Wallet, *, pending: bool = False) -> LedgerEntry:
    return LedgerEntry.objects.get(transaction=txn, wallet=wallet, pending=pending)


def test_every_movement_seals_its_entries_into_its_wallets_chains(ledger):
    holds_account = Wallet.objects.get(kind=Wallet.Kind.HOLDS)
    heads = {}
    for row in LedgerEntry.objects.select_related("wallet", "transaction").order_by("id"):
        owner = row.transaction.sender_wallet_id if row.wallet_id == holds_account.pk else row.wallet_id
        assert row.previous_hash == heads.get(owner, GENESIS_HASH)
        assert re.fullmatch(r"[0-9a-f]{64}", row.entry_hash)
        heads[owner] = row.entry_hash
    for wallet in Wallet.objects.all():
        assert wallet.last_entry_hash == heads.get(wallet.pk, GENESIS_HASH)
    # The holds account's row is never locked, so its own head never moves: its entries are in the payer's chain.
    assert holds_account.last_entry_hash == GENESIS_HASH
    assert LedgerEntry.objects.filter(wallet=holds_account).count() == 2


def test_an_amount_changed_with_consistent_balances_is_caught_by_the_chain_alone(ledger):
    """The careful attacker: turns the 10.00 transfer into 12.00 and fixes every sum that depends on it."""
    alice, bob, transfer = ledger["alice"], ledger["bob"], ledger["transfer"]
    debit, credit = entry(transfer, alice), entry(transfer, bob)
    with tampering() as sql:
        sql.execute("UPDATE wallet_transaction SET amount = 1200 WHERE id = %s", [transfer.pk])
        for row, change in ((debit, -200), (credit, 200)):
            sql.execute("UPDATE wallet_ledgerentry SET delta = delta + %s WHERE id = %s", [change, row.pk])
            sql.execute(
                "UPDATE wallet_ledgerentry SET balance_after = balance_after + %s WHERE wallet_id = %s AND id >= %s",
                [change, row.wallet_id, row.pk],
            )
            sql.execute("UPDATE wallet_wallet SET balance = balance + %s WHERE id = %s", [change, row.wallet_id])
        sql.execute("UPDATE wallet_wallet SET spent_today = spent_today + 200 WHERE id = %s", [alice.pk])

    chain, others = chain_problems()

    assert others == []
    assert pinpointed(chain) == {(alice.pk, debit.pk), (bob.pk, credit.pk)}
    assert all("entry_hash does not match the entry" in problem for problem in chain)


def test_a_deleted_movement_is_caught_by_the_chain_heads(ledger):
    """The careful attacker deletes the last transfer whole and puts the balances back: only the heads know."""
    carol, bob, last = ledger["carol"], ledger["bob"], ledger["last"]
    with tampering() as sql:
        for table in ("wallet_outboxevent", "wallet_transactionparty", "wallet_ledgerentry"):
            sql.execute(f"DELETE FROM {table} WHERE transaction_id = %s", [last.pk])
        sql.execute("DELETE FROM wallet_transaction WHERE id = %s", [last.pk])
        sql.execute(
            "UPDATE wallet_wallet SET balance = balance + 100, spent_today = spent_today - 100 WHERE id = %s",
            [carol.pk],
        )
        sql.execute("UPDATE wallet_wallet SET balance = balance - 100 WHERE id = %s", [bob.pk])

    chain, others = chain_problems()

    assert others == []
    carol_last = LedgerEntry.objects.filter(wallet=carol).latest("id")
    bob_last = LedgerEntry.objects.filter(wallet=bob).latest("id")
    assert pinpointed(chain) == {(carol.pk, carol_last.pk), (bob.pk, bob_last.pk)}
    assert all("entries after it were deleted" in problem for problem in chain)


def test_an_entry_deleted_inside_a_chain_is_pinpointed_at_the_next_entry(ledger):
    bob, transfer = ledger["bob"], ledger["transfer"]
    deleted = entry(transfer, bob)
    before = LedgerEntry.objects.filter(wallet=bob, id__lt=deleted.pk).order_by("-id").first()
    after = LedgerEntry.objects.filter(wallet=bob, id__gt=deleted.pk).order_by("id").first()
    with tampering() as sql:
        sql.execute("DELETE FROM wallet_ledgerentry WHERE id = %s", [deleted.pk])

    chain, _ = chain_problems()

    assert pinpointed(chain) == {(bob.pk, after.pk)}
    start = f"entry {before.pk}" if before else "the chain's start"
    assert f"previous_hash does not match the hash of {start}" in chain[0]


@pytest.mark.parametrize("forger", ["unsealed", "linked with a plain sha256"])
def test_an_inserted_forged_movement_is_caught(ledger, forger):
    """A forged top-up of carol's wallet: a transaction and two entries, every sum consistent."""
    carol = ledger["carol"]
    funding = Wallet.objects.get(kind=Wallet.Kind.FUNDING)
    now = timezone.now()
    stored_now = connection.ops.adapt_datetimefield_value(now)
    with tampering() as sql:
        sql.execute(
            "INSERT INTO wallet_transaction (kind, status, amount, currency, initiator_id, sender_wallet_id, "
            "receiver_wallet_id, idempotency_key, request_fingerprint, failure_code, note, created_at) "
            "VALUES ('ADD_MONEY', 'SUCCESS', 100000, 'USD', %s, %s, %s, 'forged', 'x', '', '', %s)",
            [carol.user_id, funding.pk, carol.pk, stored_now],
        )
        txn_id = Transaction.objects.get(idempotency_key="forged").pk
        forged = {}
        for wallet, delta in ((funding, -100000), (carol, 100000)):
            wallet.refresh_from_db()
            balance_after = int(wallet.balance * 100) + delta
            previous = wallet.last_entry_hash if forger != "unsealed" else ""
            message = f"wallet.ledger-entry.v1|{previous}|{wallet.pk}|{txn_id}|{delta}|0|{balance_after}|"
            digest = hashlib.sha256(f"{message}{epoch_microseconds(now)}".encode()).hexdigest()
            digest = digest if forger != "unsealed" else ""
            sql.execute(
                "INSERT INTO wallet_ledgerentry (transaction_id, wallet_id, delta, pending, balance_after, created_at, "
                "previous_hash, entry_hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [txn_id, wallet.pk, delta, False, balance_after, stored_now, previous, digest],
            )
            forged[wallet.pk] = LedgerEntry.objects.get(transaction_id=txn_id, wallet=wallet).pk
            head = digest or wallet.last_entry_hash
            sql.execute(
                "UPDATE wallet_wallet SET balance = balance + %s, last_entry_hash = %s WHERE id = %s",
                [delta, head, wallet.pk],
            )

    chain, others = chain_problems()

    assert others == []
    assert pinpointed(chain) == {(funding.pk, forged[funding.pk]), (carol.pk, forged[carol.pk])}
    reason = "previous_hash does not match" if forger == "unsealed" else "entry_hash does not match the entry"
    assert all(reason in problem for problem in chain)


def _rewrite_last_transfer(ledger, amount_minor: int, digest) -> dict[int, int]:
    """Changes the last transfer (carol pays bob, the last entry of both chains) to `amount_minor`, fixes every
    sum, and re-hashes both entries and heads with `digest(message fields) -> hex`. Returns wallet -> entry."""
    carol, bob, last = ledger["carol"], ledger["bob"], ledger["last"]
    change = amount_minor - 100
    rewritten = {}
    with tampering() as sql:
        sql.execute("UPDATE wallet_transaction SET amount = %s WHERE id = %s", [amount_minor, last.pk])
        sql.execute("UPDATE wallet_wallet SET spent_today = spent_today + %s WHERE id = %s", [change, carol.pk])
        for wallet, sign in ((carol, -1), (bob, 1)):
            row = entry(last, wallet)
            delta, balance_after = sign * amount_minor, int(row.balance_after * 100) + sign * change
            fields = {
                "previous_hash": row.previous_hash,
                "wallet_id": wallet.pk,
                "transaction_id": last.pk,
                "delta_minor": delta,
                "pending": False,
                "balance_after_minor": balance_after,
                "created_at_us": epoch_microseconds(row.created_at),
            }
            new_hash = digest(fields)
            sql.execute(
                "UPDATE wallet_ledgerentry SET delta = %s, balance_after = %s, entry_hash = %s WHERE id = %s",
                [delta, balance_after, new_hash, row.pk],
            )
            sql.execute(
                "UPDATE wallet_wallet SET balance = balance + %s, last_entry_hash = %s WHERE id = %s",
                [sign * change, new_hash, wallet.pk],
            )
            rewritten[wallet.pk] = row.pk
    return rewritten


def test_a_chain_recomputed_with_plain_sha256_is_caught_without_the_key(ledger):
    def plain_sha256(fields) -> str:
        message = (
            "wallet.ledger-entry.v1|{previous_hash}|{wallet_id}|{transaction_id}|{delta_minor}|0|"
            "{balance_after_minor}|{created_at_us}"
        ).format(**fields)
        return hashlib.sha256(message.encode()).hexdigest()

    rewritten = _rewrite_last_transfer(ledger, 300, plain_sha256)

    chain, others = chain_problems()

    assert others == []
    assert pinpointed(chain) == set(rewritten.items())
    assert all("entry_hash does not match the entry" in problem for problem in chain)


def test_what_the_chain_cannot_catch_is_an_attacker_who_also_holds_the_key(ledger):
    rewritten = _rewrite_last_transfer(ledger, 300, lambda fields: entry_digest(**fields, key=hash_key()))

    assert rewritten and audit_ledger().problems == []


def test_entries_swapped_between_transactions_are_caught_at_the_first_one(make_user, fund):
    """Two equal top-ups: swapping their entries' transactions keeps every sum; the chain names the first."""
    alice = make_user("alice")
    first, second = fund(alice, "5.00").transaction, fund(alice, "5.00").transaction
    wallet = Wallet.objects.get(user=alice)
    one, two = entry(first, wallet), entry(second, wallet)
    parking = fund(make_user("bob"), "1.00").transaction.pk  # a transaction without an entry of alice's
    with tampering() as sql:
        for row, txn_id in ((one, parking), (two, first.pk), (one, second.pk)):
            sql.execute("UPDATE wallet_ledgerentry SET transaction_id = %s WHERE id = %s", [txn_id, row.pk])

    chain, others = chain_problems()

    assert others == []
    assert pinpointed(chain) == {(wallet.pk, one.pk)}


def test_an_entry_moved_to_another_wallet_breaks_both_chains(ledger):
    alice, bob, carol, last = ledger["alice"], ledger["bob"], ledger["carol"], ledger["last"]
    moved = entry(last, bob)
    with tampering() as sql:
        sql.execute("UPDATE wallet_ledgerentry SET wallet_id = %s WHERE id = %s", [alice.pk, moved.pk])

    chain, _ = chain_problems()

    bob_last = LedgerEntry.objects.filter(wallet=bob).latest("id")
    assert pinpointed(chain) == {(alice.pk, moved.pk), (bob.pk, bob_last.pk)}
    assert carol.pk not in {wallet for wallet, _ in pinpointed(chain)}


def test_verify_ledger_reports_the_broken_entry_and_exits_non_zero(ledger):
    alice, transfer = ledger["alice"], ledger["transfer"]
    debit = entry(transfer, alice)
    with tampering() as sql:
        sql.execute("UPDATE wallet_ledgerentry SET created_at = %s WHERE id = %s", [_now(), debit.pk])
    err = StringIO()

    with pytest.raises(CommandError, match="ledger verification failed"):
        call_command("verify_ledger", stdout=StringIO(), stderr=err)

    assert f"MISMATCH chain of wallet {alice.pk}: entry {debit.pk}: entry_hash does not match" in err.getvalue()


def test_the_chain_covers_the_pending_entries_of_holds(ledger):
    """The holds account's entries are in the payer's chain: editing one names it, in alice's chain."""
    alice, hold = ledger["alice"], ledger["hold"]
    holds_account = Wallet.objects.get(kind=Wallet.Kind.HOLDS)
    reserved = entry(hold, holds_account, pending=True)
    with tampering() as sql:
        sql.execute("UPDATE wallet_ledgerentry SET created_at = %s WHERE id = %s", [_now(), reserved.pk])

    chain, others = chain_problems()

    assert others == []
    assert pinpointed(chain) == {(alice.pk, reserved.pk)}
    assert f"entry {reserved.pk} (of wallet {holds_account.pk})" in chain[0]


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_the_entries_already_there():
    """Rows written before the chain existed (a top-up and a hold) are sealed by migration 0011."""
    executor = MigrationExecutor(connection)
    before, chained = [("wallet", "0010_receipts")], [("wallet", "0011_ledger_hash_chain")]
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        apps = MigrationExecutor(connection).loader.project_state(before).apps
        _write_a_pre_chain_ledger(apps)
        executor = MigrationExecutor(connection)
        executor.migrate(chained)

        assert LedgerEntry.objects.filter(entry_hash="").count() == 0
        MigrationExecutor(connection).migrate(leaves)  # the later ones, which today's models need
        assert audit_ledger().problems == []
        # The holds account's entry, last, is in alice's chain.
        alice = Wallet.objects.get(user__username="alice")
        assert alice.last_entry_hash == LedgerEntry.objects.latest("id").entry_hash != GENESIS_HASH
        with pytest.raises(Exception), transaction.atomic(), connection.cursor() as cursor:  # noqa: B017
            cursor.execute("UPDATE wallet_ledgerentry SET entry_hash = ''")  # the guard is back
    finally:
        MigrationExecutor(connection).migrate(leaves)


def _write_a_pre_chain_ledger(apps):
    User, Wallet, Transaction, LedgerEntry = (
        apps.get_model("wallet", name) for name in ("User", "Wallet", "Transaction", "LedgerEntry")
    )
    then = timezone.now() - timedelta(days=2)  # before today: no daily-limit counters to keep
    with transaction.atomic():
        user = User.objects.create(username="alice", password="x")
        alice = Wallet.objects.create(
            user=user, kind="CUSTOMER", currency="USD", balance=Decimal("10"), held=Decimal("4")
        )
        funding = Wallet.objects.create(kind="FUNDING", currency="USD", balance=Decimal("-10"), daily_transfer_limit=0)
        holds = Wallet.objects.create(kind="HOLDS", currency="USD", daily_transfer_limit=0)
        common = {"currency": "USD", "initiator": user, "request_fingerprint": "x", "created_at": then}
        top_up = Transaction.objects.create(
            kind="ADD_MONEY", status="SUCCESS", amount=Decimal("10"), sender_wallet=funding, receiver_wallet=alice,
            idempotency_key="top-up", **common,
        )  # fmt: skip
        hold = Transaction.objects.create(
            kind="HOLD", status="PENDING", amount=Decimal("4"), sender_wallet=alice, receiver_wallet=alice,
            idempotency_key="hold", expires_at=then + timedelta(days=30), **common,
        )  # fmt: skip
        for txn, wallet, delta, pending, balance_after in (
            (top_up, funding, "-10", False, "-10"),
            (top_up, alice, "10", False, "10"),
            (hold, alice, "-4", True, "10"),
            (hold, holds, "4", True, "0"),
        ):
            LedgerEntry.objects.create(
                transaction=txn, wallet=wallet, delta=Decimal(delta), pending=pending,
                balance_after=Decimal(balance_after), created_at=then,
            )  # fmt: skip
