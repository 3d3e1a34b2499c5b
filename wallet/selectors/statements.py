"""Reads of a statement: a wallet's posted entries made in a period [from, to), its balances at both ends, totals
and rows. Every figure follows `selectors.balance_at`'s rule (posted entries with created_at before a moment), so
closing = opening + in - out holds for any period, and each statement's opening is the previous one's closing."""

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import psycopg2
from django.db import connection
from django.db.models import QuerySet

from wallet import selectors
from wallet.models import LedgerEntry, Transaction, User, Wallet
from wallet.money import from_minor_units, to_minor_units

ENTRIES, WALLETS, TRANSACTIONS, USERS = (model._meta.db_table for model in (LedgerEntry, Wallet, Transaction, User))


@dataclass(frozen=True)
class StatementSummary:
    user_id: int
    period_from: datetime
    period_to: datetime
    currency: str
    opening: Decimal
    closing: Decimal
    total_in: Decimal
    total_out: Decimal
    count: int
    # The hash-chain hash of the period's last entry (in statement order), "" for an empty period: it pins the
    # entries themselves, not only their sums, into the statement's verification code.
    last_entry_hash: str


def statement_summary(*, user: User, period_from: datetime, period_to: datetime) -> StatementSummary:
    """The period's figures from one statement, so one snapshot: the balance now less what was posted since
    each end (as balance_at), and the sums and count of the posted entries in between."""
    wallet = selectors.wallet_for_user(user=user)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT w.currency,
                w.balance - coalesce(sum(e.delta), 0),
                w.balance - coalesce(sum(e.delta) FILTER (WHERE e.created_at >= %(to)s), 0),
                coalesce(sum(e.delta) FILTER (WHERE e.created_at < %(to)s AND e.delta > 0), 0),
                coalesce(-sum(e.delta) FILTER (WHERE e.created_at < %(to)s AND e.delta < 0), 0),
                count(e.id) FILTER (WHERE e.created_at < %(to)s),
                coalesce((
                    SELECT last.entry_hash FROM {ENTRIES} last
                    WHERE last.wallet_id = w.id AND NOT last.pending
                        AND last.created_at >= %(from)s AND last.created_at < %(to)s
                    ORDER BY last.created_at DESC, last.id DESC LIMIT 1), '')
            FROM {WALLETS} w
            LEFT JOIN {ENTRIES} e ON e.wallet_id = w.id AND NOT e.pending AND e.created_at >= %(from)s
            WHERE w.id = %(wallet)s
            GROUP BY w.id
            """,
            {"wallet": wallet.pk, "from": period_from, "to": period_to},
        )
        currency, opening, closing, total_in, total_out, count, last_hash = cursor.fetchone()
    return StatementSummary(
        user_id=user.pk,
        period_from=period_from,
        period_to=period_to,
        currency=currency,
        opening=from_minor_units(opening),
        closing=from_minor_units(closing),
        total_in=from_minor_units(total_in),
        total_out=from_minor_units(total_out),
        count=count,
        last_entry_hash=last_hash,
    )


def statement_entries_for_user(*, user: User, period_from: datetime, period_to: datetime) -> QuerySet[LedgerEntry]:
    """The period's posted entries as history pages show them, newest first by id (the connection's keyset)."""
    return selectors.ledger_entries_for_user(user=user).filter(
        pending=False, created_at__gte=period_from, created_at__lt=period_to
    )


@dataclass(frozen=True)
class StatementRow:
    created_at: datetime
    transaction_id: int
    kind: str
    counterparty: str
    note: str
    reference: str
    amount: Decimal  # signed: positive came in
    balance_after: Decimal


# Who the other side is, from the viewer's side: whoever sent what came in, whoever received what went out.
# System accounts have no user: their kind names them (FUNDING for a top-up, PAYOUTS for a withdrawal).
_COUNTERPARTY = """
    CASE WHEN e.delta > 0 THEN coalesce(su.username, sw.kind) ELSE coalesce(ru.username, rw.kind) END
"""


def statement_rows(
    *, user: User, period_from: datetime, period_to: datetime, opening: Decimal, chunk_size: int = 2000
) -> Iterator[StatementRow]:
    """The period's posted entries oldest first (created_at, then id), each with the running balance from
    `opening`, read through a server-side cursor `chunk_size` rows at a time: memory does not grow with the period.

    The running balance is the statement's own (opening plus the rows so far), so the last row's is the closing
    balance. It equals the entry's stored balance_after unless two movements of the wallet started in one order and
    took its lock in the other (see balance_at). Must run inside a transaction: the cursor is a plain
    (WITHOUT HOLD) one, which also works behind pgbouncer, where Django's own server-side cursors are off."""
    wallet = selectors.wallet_for_user(user=user)
    connection.ensure_connection()
    cursor = connection.connection.cursor(name=f"statement_{uuid.uuid4().hex}")
    cursor.itersize = chunk_size
    try:
        cursor.execute(
            f"""
            SELECT e.created_at, e.transaction_id, t.kind, {_COUNTERPARTY}, t.note, t.reference, e.delta,
                %(opening)s + sum(e.delta) OVER (ORDER BY e.created_at, e.id)
            FROM {ENTRIES} e
            JOIN {TRANSACTIONS} t ON t.id = e.transaction_id
            LEFT JOIN {WALLETS} sw ON sw.id = t.sender_wallet_id LEFT JOIN {USERS} su ON su.id = sw.user_id
            LEFT JOIN {WALLETS} rw ON rw.id = t.receiver_wallet_id LEFT JOIN {USERS} ru ON ru.id = rw.user_id
            WHERE e.wallet_id = %(wallet)s AND NOT e.pending AND e.created_at >= %(from)s AND e.created_at < %(to)s
            ORDER BY e.created_at, e.id
            """,
            {
                "wallet": wallet.pk,
                "from": period_from,
                "to": period_to,
                "opening": to_minor_units(opening),
            },
        )
        for created_at, txn, kind, counterparty, note, reference, delta, running in cursor:
            yield StatementRow(
                created_at=created_at,
                transaction_id=txn,
                kind=kind,
                counterparty=counterparty,
                note=note,
                reference=reference,
                amount=from_minor_units(delta),
                balance_after=from_minor_units(running),
            )
    finally:
        with contextlib.suppress(psycopg2.Error):  # after a failed read, the transaction's rollback closes it anyway
            cursor.close()
