"""The posting engine: the one place money moves. Every use case builds `Transfer`s and calls `post()`.

Modelled on TigerBeetle's single `create_transfers`: a request is a list of transfers under one idempotency key of
one initiator, a single movement is a request of one, and a hold's pending, post and void are flags of a transfer,
not separate code paths. `post()` makes one database round trip: the PL/pgSQL function `wallet_post` (migration
0012) resolves receivers, locks the wallets in ascending id order, replays or refuses a used key, evaluates the
refusals, and writes the transactions, entries (sealed into the hash chain), history rows, outbox events and cached
balances in one statement. Deadlocks and serialization failures are retried; a lock or statement that runs out of
time is `WalletBusy` (nothing was committed).
"""

import hashlib
import json
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache

from django.conf import settings
from django.db import connection, models
from django.db import transaction as db_transaction
from django.utils import timezone

from wallet import ledger_chain, metrics, prepared
from wallet.errors import FAILURE_MESSAGES, ErrorCode, WalletError
from wallet.events.local import dispatch_after_commit
from wallet.fields import MoneyField
from wallet.models import OutboxEvent, Transaction, User, Wallet
from wallet.money import from_minor_units, to_minor_units
from wallet.services.retries import retrying_conflicts
from wallet.validation import clean_metadata, clean_reference

# FUNDING and PAYOUTS are split into this many rows, picked by the customer wallet's id, so that top-ups and
# withdrawals of different wallets lock different rows. Their sum is the account's balance.
SYSTEM_ACCOUNT_SHARDS = 16
# Errors the engine answers instead of posting (nothing is recorded); a refusal is a FAILED transaction instead.
ENGINE_ERRORS = {
    ErrorCode.IDEMPOTENCY_KEY_REUSED: "This idempotency key was already used for a different request; use a new key.",
    ErrorCode.HOLD_ALREADY_RESOLVED: "This hold was already captured or voided.",
    ErrorCode.HOLD_EXPIRED: "This hold has expired; its money was released.",
}


@dataclass(frozen=True)
class Transfer:
    """One transfer of a request. The debit and the credit are a wallet id, a system account (`*_system`), or for
    the credit a receiver named by lower-cased username or by mobile number (resolved under the request)."""

    kind: str
    amount: Decimal
    debit: int | None = None
    debit_system: str | None = None
    credit: int | None = None
    credit_system: str | None = None
    credit_username: str | None = None
    credit_mobile: str | None = None
    # A hold: reserve the amount (the ledger's pending layer) for `timeout` seconds, or until a post or void of it.
    pending: bool = False
    timeout: int | None = None
    # Settle part or all of a hold (the rest is released), or release it; `expired_release` is the expiry's.
    post_pending: int | None = None
    void_pending: int | None = None
    expired_release: bool = False
    # The transaction a reversal returns money of.
    original: int | None = None
    note: str = ""
    # The client's own id for the movement and its strings (Tags).
    reference: str = ""
    metadata: dict = field(default_factory=dict)

    def as_json(self, now: datetime) -> dict:
        fields = {name: value for name, value in vars(self).items() if value not in (None, False, "", {})}
        fields["amount"] = to_minor_units(self.amount)
        fields["outgoing"] = self.kind in Transaction.OUTGOING_KINDS  # counts toward the daily limit
        fields["pending"] = self.pending
        if self.timeout is not None:
            del fields["timeout"]
            fields["expires_at"] = fields["expires_at_text"] = (now + timedelta(seconds=self.timeout)).isoformat()
        return fields


@dataclass(frozen=True)
class Tags:
    """What a client attaches to a movement: its own reference (an order id) and a small map of its strings."""

    reference: str = ""
    metadata: dict = field(default_factory=dict)

    @classmethod
    def clean(cls, reference: str | None = None, metadata: dict | None = None) -> "Tags":
        return cls(clean_reference(reference), clean_metadata(metadata))

    def fingerprinted(self, request_fingerprint: str) -> str:
        """The request's fingerprint, covering the tags when there are any (so old requests replay unchanged)."""
        if not self.reference and not self.metadata:
            return request_fingerprint
        return fingerprint(request_fingerprint, self.reference, sorted(self.metadata.items()))


NO_TAGS = Tags()


@dataclass(frozen=True)
class Posted:
    transactions: list[Transaction]  # in the request's order
    wallet: Wallet  # the initiator's, as it stands after the request
    replayed: bool
    events: list[OutboxEvent] = field(default_factory=list)


def fingerprint(*parts) -> str:
    """A digest of a request's parameters: the same key with other parameters is refused."""
    return hashlib.sha256(json.dumps(list(parts), separators=(",", ":")).encode()).hexdigest()


_AMOUNT_FAILURES = {
    ErrorCode.INSUFFICIENT_FUNDS,
    ErrorCode.DAILY_LIMIT_EXCEEDED,
    ErrorCode.MONTHLY_LIMIT_EXCEEDED,
    ErrorCode.BALANCE_LIMIT_EXCEEDED,
    ErrorCode.TRANSACTION_LIMIT_EXCEEDED,
    ErrorCode.REVERSAL_EXCEEDS_ORIGINAL,
}


def failure_error(txn: Transaction) -> WalletError | None:
    """The error a FAILED transaction stands for; rebuilt identically on every replay."""
    if txn.status != Transaction.Status.FAILED:
        return None
    code = ErrorCode(txn.failure_code)
    field_name = None
    if code in _AMOUNT_FAILURES:
        field_name = "amount"
    elif code == ErrorCode.REFERENCE_ALREADY_USED:
        field_name = "reference"
    elif code in (ErrorCode.RECEIVER_NOT_FOUND, ErrorCode.SELF_TRANSFER, ErrorCode.CURRENCY_MISMATCH):
        field_name = {
            Transaction.Kind.PAY_BY_MOBILE: "mobile_number",
            Transaction.Kind.TRANSFER: "receiver_username",
        }.get(txn.kind)
    return WalletError(code, FAILURE_MESSAGES[code], field=field_name)


def post(
    *,
    initiator: User,
    idempotency_key: str,
    request_fingerprint: str,
    transfers: list[Transfer],
    linked: bool = False,
    batch: bool = False,
) -> Posted:
    """Posts the transfers as one request of `initiator` under `idempotency_key`: all of them, or, replayed, what
    that key stored. With `linked`, one refused transfer fails all (LINKED_TRANSFER_FAILED). `batch` stores the
    transfers' keys as key#0, key#1, ...; a key used by a single movement and by a batch is one key, reused."""
    now = timezone.now()
    request = {
        "initiator": initiator.pk,
        "initiator_wallet": initiator.wallet.pk,
        "key": idempotency_key,
        "fingerprint": request_fingerprint,
        "batch": batch,
        "linked": linked,
        "now": now.isoformat(),
        "now_text": now.isoformat(),
        "today": timezone.localdate(now).isoformat(),
        "places": settings.WALLET_CURRENCY_DECIMALS,
        "shards": SYSTEM_ACCOUNT_SHARDS,
        "currency": settings.WALLET_CURRENCY,
        "return_events": settings.EVENTS_IN_PROCESS,
        "transfers": [transfer.as_json(now) for transfer in transfers],
    }
    answer = retrying_conflicts(lambda: _call(request))
    if "error" in answer:
        code = ErrorCode(answer["error"])
        raise WalletError(code, ENGINE_ERRORS[code], field="idempotency_key" if code in _KEY_ERRORS else None)
    metrics.LOCK_WAIT.observe(answer["session"]["lock_wait"])
    wallet = _instance(Wallet, answer["wallet"])
    wallet.user, initiator.wallet = initiator, wallet
    posted = Posted(
        transactions=[_instance(Transaction, row) for row in answer["transactions"]],
        wallet=wallet,
        replayed=answer["replayed"],
        events=[_instance(OutboxEvent, row) for row in answer.get("events") or ()],
    )
    if not posted.replayed:
        metrics.count_after_commit(posted.transactions)
        dispatch_after_commit(posted.events)
    return posted


_KEY_ERRORS = {ErrorCode.IDEMPOTENCY_KEY_REUSED}

# One round trip: the transaction-local bounds, then the call, in one implicit transaction (a multi-statement
# query); inside an outer transaction they last until it ends. While it waits for locks the server checks every
# CLIENT_CHECK_MS that its client is still there, and abandons the movement of a client that went away.
_BOUNDS = (
    "SELECT set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true),"
    " set_config('client_connection_check_interval', %s, true); "
)
_ENGINE = "SELECT wallet_post(%s::jsonb, %s::bytea, %s::bytea)"
CLIENT_CHECK_MS = 250


def _call(request: dict) -> dict:
    inner, outer = _hmac_pads(ledger_chain.hash_key())
    params = [
        str(int(settings.WALLET_LOCK_TIMEOUT_MS)),
        str(int(settings.WALLET_STATEMENT_TIMEOUT_MS)),
        str(CLIENT_CHECK_MS),
        json.dumps(request),
        inner,
        outer,
    ]
    # Inside an outer transaction, a savepoint: a failure (a lock timeout) leaves the outer transaction usable.
    with db_transaction.atomic() if connection.in_atomic_block else nullcontext(), connection.cursor() as cursor:
        engine = prepared.statement(cursor, name="wallet_post_call", types="jsonb, bytea, bytea", sql=_ENGINE)
        cursor.execute(_BOUNDS + engine, params)
        return json.loads(cursor.fetchone()[0])  # Django leaves jsonb undecoded


@cache
def _hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC's inner and outer keys (RFC 2104) for the chain's key: the database computes the digest from them."""
    block = hashlib.sha256().block_size
    key = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def _instance(model, row: dict):
    """A model instance from a row the database returned as JSON (to_jsonb): no query, no ORM compilation."""
    fields, converters = _columns(model)
    values = [None if row[column] is None else convert(row[column]) for column, convert in converters]
    return model.from_db(connection.alias, fields, values)


@cache
def _columns(model) -> tuple[list[str], list]:
    converters = []
    for column in model._meta.concrete_fields:
        if isinstance(column, MoneyField):
            convert = from_minor_units
        elif isinstance(column, models.DateTimeField):
            convert = datetime.fromisoformat
        elif isinstance(column, models.DateField):
            convert = date.fromisoformat
        elif isinstance(column, models.UUIDField):
            convert = uuid.UUID
        else:
            convert = _same
        converters.append((column.column, convert))
    return [field.attname for field in model._meta.concrete_fields], converters


def _same(value):
    return value
