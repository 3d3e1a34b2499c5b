"""The ledger's hash chain: every entry is sealed to the one before it in its wallet's chain.

Each `LedgerEntry` stores `previous_hash` (the `entry_hash` of the entry before it in its chain, or
`GENESIS_HASH` for the first) and `entry_hash`, an HMAC-SHA256 of a canonical serialization of
(previous_hash, wallet, transaction, delta and balance_after in minor units, pending flag, created_at).
`Wallet.last_entry_hash` is the chain's head: the `entry_hash` of its last entry. The ledger service
seals entries in memory (`seal`) while it holds the chain's wallet row lock, and saves the new head in
the same database transaction as the entries, so a chain grows strictly in entry-id order.

`verify_ledger` (`chain_problems`) recomputes every chain and pinpoints the first entry where it breaks:
an entry edited in place (amount, balance_after, wallet, transaction, layer or time), deleted, inserted,
or moved changes either its own hash or the link of the entry after it (or the head, for the last one).

Why an HMAC and not a plain hash: anyone with write access to the database could recompute a plain
SHA-256 chain after editing it. The HMAC key (`settings.LEDGER_HASH_KEY`, from the environment, by
default derived from `SECRET_KEY`) lives outside the database, so recomputing a valid chain needs the
key as well. What this cannot detect is an attacker who holds both the database and the key.

Whose chain an entry belongs to: its own wallet's, except for the HOLDS system account, whose row is
never locked (locking it would serialise every hold in the system). Its entries are sealed into the
chain of their transaction's sender, the payer, whose row the hold's writer does lock.
"""

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection as default_connection
from django.db import transaction
from django.utils.dateparse import parse_datetime
from psycopg2.extras import execute_values

from wallet.money import to_minor_units

GENESIS_HASH = "0" * 64
SCHEME = "wallet.ledger-entry.v1"
# Wallet kinds whose rows the ledger service does not lock: their entries join the payer's chain.
UNLOCKED_KINDS = frozenset({"HOLDS"})
UNSEALED = ""  # the entry_hash of a row written without the service (a bulk load, or a forgery)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def hash_key() -> bytes:
    return settings.LEDGER_HASH_KEY.encode()


def epoch_microseconds(moment) -> int:
    """A timestamp as whole microseconds since 1970-01-01 UTC (PostgreSQL's stored precision)."""
    if isinstance(moment, int):  # already counted by the database
        return moment
    if isinstance(moment, str):
        moment = parse_datetime(moment)
    return (moment - _EPOCH) // _MICROSECOND


def entry_digest(
    *,
    previous_hash: str,
    wallet_id: int,
    transaction_id: int,
    delta_minor: int,
    pending: bool,
    balance_after_minor: int,
    created_at_us: int,
    key: bytes,
) -> str:
    """HMAC-SHA256 (hex) of one entry. Every field is an integer, a flag or hex, so '|' never occurs
    inside one and the serialization is unambiguous; SQL can build it too (bench/fixtures.py)."""
    message = (
        f"{SCHEME}|{previous_hash}|{wallet_id}|{transaction_id}|{delta_minor}|{1 if pending else 0}"
        f"|{balance_after_minor}|{created_at_us}"
    )
    return hmac.digest(key, message.encode(), "sha256").hex()


def chain_owner_id(*, wallet_id: int, wallet_kind: str, sender_wallet_id: int) -> int:
    """The wallet whose chain (and head) an entry belongs to."""
    return sender_wallet_id if wallet_kind in UNLOCKED_KINDS else wallet_id


def chain_wallet(entry_wallet, txn):
    """The (locked) wallet instance whose chain an entry of `entry_wallet` in `txn` extends."""
    return txn.sender_wallet if entry_wallet.kind in UNLOCKED_KINDS else entry_wallet


def seal(entry, chain, *, key: bytes | None = None) -> None:
    """Links an unsaved entry to the head of `chain` (a wallet locked by the caller) and moves the head."""
    assert entry.transaction_id is not None, "seal entries of a saved transaction"
    entry.previous_hash = chain.last_entry_hash
    entry.entry_hash = entry_digest(
        previous_hash=entry.previous_hash,
        wallet_id=entry.wallet_id,
        transaction_id=entry.transaction_id,
        delta_minor=to_minor_units(entry.delta),
        pending=entry.pending,
        balance_after_minor=to_minor_units(entry.balance_after),
        created_at_us=epoch_microseconds(entry.created_at),
        key=key or hash_key(),
    )
    chain.last_entry_hash = entry.entry_hash


# --- Verification ---------------------------------------------------------------------------------

_ENTRY_ROWS = """
    SELECT id, wallet_id, transaction_id, delta, pending, balance_after,
           (extract(epoch FROM created_at) * 1000000)::bigint, previous_hash, entry_hash
    FROM wallet_ledgerentry WHERE id > %s ORDER BY id LIMIT %s
"""
_SENDERS = """
    SELECT DISTINCT t.id, t.sender_wallet_id
    FROM wallet_ledgerentry e JOIN wallet_transaction t ON t.id = e.transaction_id
    WHERE e.id > %s AND e.id <= %s AND e.wallet_id IN ({wallets})
"""


@dataclass
class _Chain:
    last_id: int | None = None
    last_hash: str = GENESIS_HASH
    broken: bool = False


def _entry_rows(connection, chunk: int, unlocked_wallets: set[int]) -> Iterable[tuple]:
    """Every entry in id order, each with its transaction's sender where its wallet is not locked (holds)."""
    after = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(_ENTRY_ROWS, [after, chunk])
            rows = cursor.fetchall()
            if not rows:
                return
            senders = {}
            if unlocked_wallets and any(row[1] in unlocked_wallets for row in rows):
                cursor.execute(
                    _SENDERS.format(wallets=", ".join(str(int(wallet_id)) for wallet_id in unlocked_wallets)),
                    [after, rows[-1][0]],
                )
                senders = dict(cursor.fetchall())
        for row in rows:
            yield (*row, senders.get(row[2]))
        after = rows[-1][0]


def chain_problems(*, limit: int = 100, connection=None, chunk: int = 10_000) -> list[str]:
    """Recomputes every wallet's chain in entry-id order. Returns, by wallet, the first entry where each
    chain breaks (its id and what is wrong) and each intact chain whose head is not its last entry's hash.
    Each problem starts with "chain of wallet <id>".

    It reads one snapshot (REPEATABLE READ), so movements committed meanwhile by a live service cannot make heads
    and entries disagree."""
    connection = connection or default_connection
    if not connection.in_atomic_block:
        with transaction.atomic(using=connection.alias):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            return _chain_problems(connection, limit, chunk)
    return _chain_problems(connection, limit, chunk)


def _chain_problems(connection, limit: int, chunk: int) -> list[str]:
    key = hash_key()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, kind, last_entry_hash FROM wallet_wallet")
        wallets = {wallet_id: (kind, head) for wallet_id, kind, head in cursor.fetchall()}
    unlocked = {wallet_id for wallet_id, (kind, _) in wallets.items() if kind in UNLOCKED_KINDS}
    chains: dict[int, _Chain] = {}
    problems: list[tuple[int, str]] = []
    for row in _entry_rows(connection, chunk, unlocked):
        entry_id, wallet_id, stored, sender_id = row[0], row[1], row[8], row[9]
        owner = (sender_id or wallet_id) if wallet_id in unlocked else wallet_id
        chain = chains.setdefault(owner, _Chain())
        if not chain.broken:
            problem = _entry_problem(chain, row, key)
            if problem:
                chain.broken = True
                of_wallet = f" (of wallet {wallet_id})" if owner != wallet_id else ""
                problems.append((owner, f"chain of wallet {owner}: entry {entry_id}{of_wallet}: {problem}"))
        # Each entry is checked against its stored neighbour, so an edit is reported where it is.
        chain.last_id, chain.last_hash = entry_id, stored
    for wallet_id, (_, head) in wallets.items():
        chain = chains.get(wallet_id, _Chain())
        if not chain.broken and head != chain.last_hash:
            last = f"its last entry {chain.last_id}" if chain.last_id else "the chain's start (it has no entries)"
            problems.append(
                (
                    wallet_id,
                    f"chain of wallet {wallet_id}: its head (last_entry_hash) is not the hash of {last}: "
                    "entries after it were deleted, or the head was changed",
                )
            )
    return [problem for _, problem in sorted(problems)][:limit]


def _entry_problem(chain: _Chain, row: tuple, key: bytes) -> str | None:
    _, wallet_id, txn_id, delta, pending, balance_after, created_at, previous, stored, _ = row
    if previous != chain.last_hash:
        before = f"entry {chain.last_id}" if chain.last_id else "the chain's start"
        return (
            f"previous_hash does not match the hash of {before}, the entry before it: an entry between them "
            "was deleted or inserted, or this one was moved or forged"
        )
    if stored == UNSEALED:
        return "it has no entry_hash: it was written outside the ledger service"
    expected = entry_digest(
        previous_hash=previous,
        wallet_id=wallet_id,
        transaction_id=txn_id,
        delta_minor=int(delta),
        pending=bool(pending),
        balance_after_minor=int(balance_after),
        created_at_us=epoch_microseconds(created_at),
        key=key,
    )
    if not hmac.compare_digest(stored.encode(), expected.encode()):
        return (
            "entry_hash does not match the entry: its amount, balance_after, wallet, transaction, layer or time "
            "was changed, or it was forged"
        )
    return None


# --- Sealing rows written outside the service (the migration's backfill) ------------------------


def seal_unsealed_entries(entry_model, wallet_model, *, connection=None, chunk: int = 5_000) -> int:
    """Seals, in id order, every entry whose entry_hash is empty, chaining each from its chain's current
    head, and saves the new heads; returns how many it sealed. Works with historical models (migrations).

    Only for a trusted writer that holds the key and no concurrent writers: the migration that introduced
    the chain (every existing row). Unsealed rows must come after their chain's sealed ones, or the result
    is a broken chain that verify_ledger reports. The caller lets UPDATE through the ledger's guards.
    """
    connection = connection or default_connection
    key = hash_key()
    wallets = {
        wallet_id: [kind, head]
        for wallet_id, kind, head in wallet_model._base_manager.values_list("id", "kind", "last_entry_hash")
    }
    moved: set[int] = set()
    rows = (
        entry_model._base_manager.filter(entry_hash=UNSEALED)
        .order_by("id")
        .values_list(
            "id",
            "wallet_id",
            "transaction_id",
            "transaction__sender_wallet_id",
            "delta",
            "pending",
            "balance_after",
            "created_at",
        )
    )
    sealed, after = 0, 0
    while True:
        batch = list(rows.filter(id__gt=after)[:chunk])
        if not batch:
            break
        updates = []
        for entry_id, wallet_id, txn_id, sender_id, delta, pending, balance_after, created_at in batch:
            owner = chain_owner_id(wallet_id=wallet_id, wallet_kind=wallets[wallet_id][0], sender_wallet_id=sender_id)
            previous = wallets[owner][1]
            digest = entry_digest(
                previous_hash=previous,
                wallet_id=wallet_id,
                transaction_id=txn_id,
                delta_minor=to_minor_units(delta),
                pending=pending,
                balance_after_minor=to_minor_units(balance_after),
                created_at_us=epoch_microseconds(created_at),
                key=key,
            )
            wallets[owner][1] = digest
            moved.add(owner)
            updates.append((previous, digest, entry_id))
        _update_rows(connection, entry_model._meta.db_table, ("previous_hash", "entry_hash"), updates)
        sealed += len(batch)
        after = batch[-1][0]
    _update_rows(
        connection,
        wallet_model._meta.db_table,
        ("last_entry_hash",),
        [(wallets[wallet_id][1], wallet_id) for wallet_id in sorted(moved)],
    )
    return sealed


def _update_rows(connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """UPDATE table SET columns... WHERE id = last value of each row."""
    if not rows:
        return
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(column)} = v.{quote(column)}" for column in columns)
    names = ", ".join(quote(column) for column in (*columns, "id"))
    with connection.cursor() as cursor:
        execute_values(
            cursor.cursor,
            f"UPDATE {quote(table)} AS t SET {assignments} FROM (VALUES %s) AS v({names}) WHERE t.id = v.id",
            rows,
            page_size=1_000,
        )
