"""The ledger service: with `holds` and `batches`, which build on the helpers here, the only code that moves money.

Every single movement follows one path (`_execute`): validate and resolve everything
possible without locks, then in one database transaction lock every wallet it
touches in ascending id order, check balance and daily limit on the locked
rows, and write the transaction, its entries, the new cached balances, its
history rows and one outbox event together. The transaction's unique
(initiator, idempotency key) makes a repeated key fail that write, and the
request then replays the stored outcome instead.
"""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.utils import timezone

from wallet import ledger_chain, metrics, selectors
from wallet.errors import FAILURE_MESSAGES, ErrorCode, WalletError
from wallet.events.local import dispatch_after_commit
from wallet.models import LedgerEntry, OutboxEvent, Transaction, TransactionParty, User, Wallet
from wallet.money import to_minor_units
from wallet.services.retries import bound_lock_waits, retrying_conflicts
from wallet.validation import (
    clean_amount,
    clean_idempotency_key,
    clean_note,
    clean_username_reference,
    normalize_mobile_number,
)

EVENT_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class MovementResult:
    transaction: Transaction
    wallet: Wallet  # the initiator's wallet, as it stands after the movement
    replayed: bool

    @property
    def error(self) -> WalletError | None:
        return failure_error(self.transaction)


def failure_error(txn: Transaction) -> WalletError | None:
    """The error a FAILED transaction stands for; rebuilt identically on every replay."""
    if txn.status != Transaction.Status.FAILED:
        return None
    code = ErrorCode(txn.failure_code)
    field = None
    if code in (ErrorCode.INSUFFICIENT_FUNDS, ErrorCode.DAILY_LIMIT_EXCEEDED, ErrorCode.REVERSAL_EXCEEDS_ORIGINAL):
        field = "amount"
    elif code in (ErrorCode.RECEIVER_NOT_FOUND, ErrorCode.SELF_TRANSFER, ErrorCode.CURRENCY_MISMATCH):
        field = {Transaction.Kind.PAY_BY_MOBILE: "mobile_number", Transaction.Kind.TRANSFER: "receiver_username"}.get(
            txn.kind
        )
    return WalletError(code, FAILURE_MESSAGES[code], field=field)


@dataclass(frozen=True)
class _Movement:
    kind: str
    initiator: User
    initiator_wallet: Wallet
    sender_wallet: Wallet
    receiver_wallet: Wallet | None
    amount: Decimal
    idempotency_key: str
    fingerprint: str
    note: str = ""
    # A refusal known before any lock is taken (unknown receiver, self transfer).
    refusal: ErrorCode | None = None
    # For a reversal: the transfer it returns money of.
    original: Transaction | None = None


def money_add(*, user: User, amount: Decimal, idempotency_key: str) -> MovementResult:
    """Tops up the user's wallet from the funding account."""
    amount = clean_amount(amount)
    idempotency_key = clean_idempotency_key(idempotency_key)
    wallet = selectors.wallet_for_user(user=user)
    return _execute(
        _Movement(
            kind=Transaction.Kind.ADD_MONEY,
            initiator=user,
            initiator_wallet=wallet,
            sender_wallet=system_wallet(Wallet.Kind.FUNDING),
            receiver_wallet=wallet,
            amount=amount,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint(Transaction.Kind.ADD_MONEY, amount),
        )
    )


def withdrawal_create(*, user: User, amount: Decimal, idempotency_key: str) -> MovementResult:
    """Moves money out of the user's wallet to the payouts account."""
    amount = clean_amount(amount)
    idempotency_key = clean_idempotency_key(idempotency_key)
    wallet = selectors.wallet_for_user(user=user)
    return _execute(
        _Movement(
            kind=Transaction.Kind.WITHDRAWAL,
            initiator=user,
            initiator_wallet=wallet,
            sender_wallet=wallet,
            receiver_wallet=system_wallet(Wallet.Kind.PAYOUTS),
            amount=amount,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint(Transaction.Kind.WITHDRAWAL, amount),
        )
    )


def transfer_create(
    *, sender: User, receiver_username: str, amount: Decimal, idempotency_key: str, note: str | None = None
) -> MovementResult:
    """Sends money to another user's wallet, named by username."""
    amount = clean_amount(amount)
    idempotency_key = clean_idempotency_key(idempotency_key)
    note = clean_note(note)
    receiver_username = clean_username_reference(receiver_username)
    receiver = selectors.active_user_by_username(receiver_username)
    return _peer_movement(
        kind=Transaction.Kind.TRANSFER,
        sender=sender,
        receiver=receiver,
        receiver_reference=receiver_username.lower(),
        amount=amount,
        idempotency_key=idempotency_key,
        note=note,
    )


def mobile_payment_create(
    *, sender: User, mobile_number: str, amount: Decimal, idempotency_key: str, note: str | None = None
) -> MovementResult:
    """Resolves a registered user's mobile number, then sends money to their wallet."""
    amount = clean_amount(amount)
    idempotency_key = clean_idempotency_key(idempotency_key)
    note = clean_note(note)
    mobile_number = normalize_mobile_number(mobile_number)
    receiver = selectors.active_user_by_mobile_number(mobile_number)
    return _peer_movement(
        kind=Transaction.Kind.PAY_BY_MOBILE,
        sender=sender,
        receiver=receiver,
        receiver_reference=mobile_number,
        amount=amount,
        idempotency_key=idempotency_key,
        note=note,
    )


def reversal_create(
    *, user: User, transaction_id: int | None, amount: Decimal | None, idempotency_key: str
) -> MovementResult:
    """Returns money of a successful transfer or mobile payment to its sender, in full or in part.

    The receiver reverses (or a staff user with a wallet). The original is never changed: the reversal is a
    new transaction linked to it, and all reversals of one transaction never add up to more than it.
    """
    amount = clean_amount(amount) if amount is not None else None
    idempotency_key = clean_idempotency_key(idempotency_key)
    wallet = selectors.wallet_for_user(user=user)
    original = None
    if transaction_id is not None:
        original = selectors.reversible_transaction_for_user(user=user, transaction_id=transaction_id)
    if original is None:
        if transaction_id is not None and selectors.transaction_for_user(user=user, transaction_id=transaction_id):
            raise WalletError(
                ErrorCode.NOT_REVERSIBLE, "Only the receiver can reverse this transaction.", field="transaction_id"
            )
        raise WalletError(ErrorCode.TRANSACTION_NOT_FOUND, "No such transaction.", field="transaction_id")
    if original.kind not in Transaction.REVERSIBLE_KINDS or original.status != Transaction.Status.SUCCESS:
        raise WalletError(
            ErrorCode.NOT_REVERSIBLE,
            "Only a successful transfer or mobile payment can be reversed.",
            field="transaction_id",
        )
    if amount is None:
        previous = Transaction.objects.filter(initiator=user, idempotency_key=idempotency_key).first()
        if previous is not None and previous.kind == Transaction.Kind.REVERSAL and previous.original_id == original.pk:
            # A retry of "return all that is left": it meant what was left then, and replays that.
            amount = previous.amount
        else:
            amount = original.amount - selectors.reversed_amount(original=original)
        if amount <= 0:
            raise WalletError(
                ErrorCode.REVERSAL_EXCEEDS_ORIGINAL, "This transaction is already fully reversed.", field="amount"
            )
    return _execute(
        _Movement(
            kind=Transaction.Kind.REVERSAL,
            initiator=user,
            initiator_wallet=wallet,
            sender_wallet=original.receiver_wallet,
            receiver_wallet=original.sender_wallet,
            amount=amount,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint(Transaction.Kind.REVERSAL, amount, str(original.pk)),
            original=original,
        )
    )


def receiver_refusal(sender: User, receiver: User | None) -> ErrorCode | None:
    """Why money cannot go to this receiver, known before any lock."""
    if receiver is None:
        return ErrorCode.RECEIVER_NOT_FOUND
    if receiver.pk == sender.pk:
        return ErrorCode.SELF_TRANSFER
    return None


def _peer_movement(
    *,
    kind: str,
    sender: User,
    receiver: User | None,
    receiver_reference: str,
    amount: Decimal,
    idempotency_key: str,
    note: str,
) -> MovementResult:
    wallet = selectors.wallet_for_user(user=sender)
    refusal = receiver_refusal(sender, receiver)
    return _execute(
        _Movement(
            kind=kind,
            initiator=sender,
            initiator_wallet=wallet,
            sender_wallet=wallet,
            receiver_wallet=receiver.wallet if receiver is not None else None,
            amount=amount,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint(kind, amount, receiver_reference, note),
            note=note,
            refusal=refusal,
        )
    )


def fingerprint(kind: str, amount: Decimal, *parameters: str) -> str:
    canonical = json.dumps([kind, to_minor_units(amount), *parameters], separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def system_wallet(kind: str) -> Wallet:
    wallet, _ = Wallet.objects.get_or_create(
        kind=kind, user=None, defaults={"currency": settings.WALLET_CURRENCY, "daily_transfer_limit": 0}
    )
    return wallet


def lock_wallets(wallet_ids: set[int]) -> dict[int, Wallet]:
    """Locks wallets in ascending id order (one global order: no deadlocks) and returns them fresh.

    The first thing each money transaction does: it also bounds the transaction's lock waits and statements
    (`retries.bound_lock_waits`), so a wallet locked too long fails the request with RETRY_LATER."""
    bound_lock_waits()
    with metrics.timing_lock_wait():
        return {
            wallet.pk: wallet
            for wallet in Wallet.objects.select_for_update().filter(pk__in=sorted(wallet_ids)).order_by("pk")
        }


def _execute(movement: _Movement) -> MovementResult:
    return retrying_conflicts(lambda: _execute_once(movement))


def _execute_once(movement: _Movement) -> MovementResult:
    wallet_ids = {movement.initiator_wallet.pk, movement.sender_wallet.pk}
    if movement.receiver_wallet is not None:
        wallet_ids.add(movement.receiver_wallet.pk)
    try:
        with db_transaction.atomic():
            locked = lock_wallets(wallet_ids)
            sender = locked[movement.sender_wallet.pk]
            receiver = locked[movement.receiver_wallet.pk] if movement.receiver_wallet is not None else None
            refusal = movement.refusal or _refusal_under_lock(movement, sender, receiver)
            # The unique (initiator, idempotency_key) constraint is the idempotency check:
            # a retry, or a twin that committed while this one waited for the lock, fails here.
            txn = Transaction.objects.create(
                kind=movement.kind,
                status=Transaction.Status.FAILED if refusal else Transaction.Status.SUCCESS,
                amount=movement.amount,
                currency=sender.currency,
                initiator=movement.initiator,
                sender_wallet=sender,
                receiver_wallet=receiver,
                idempotency_key=movement.idempotency_key,
                request_fingerprint=movement.fingerprint,
                failure_code=refusal.value if refusal else "",
                note=movement.note,
                original=movement.original,
                created_at=timezone.now(),
            )
            legs = [] if refusal else [Leg(sender, -txn.amount), Leg(receiver, txn.amount)]
            entries = write_entries(txn, legs)
            record_parties(txn, initiator_wallet=locked[movement.initiator_wallet.pk], entries=entries)
            record_event(txn, entries)
    except IntegrityError as error:
        return replay_or_raise(
            error,
            initiator=movement.initiator,
            idempotency_key=movement.idempotency_key,
            fingerprint=movement.fingerprint,
            wallet=movement.initiator_wallet,
        )
    return MovementResult(transaction=txn, wallet=locked[movement.initiator_wallet.pk], replayed=False)


def replay_or_raise(
    error: IntegrityError, *, initiator: User, idempotency_key: str, fingerprint: str, wallet: Wallet
) -> MovementResult:
    """After a write failed on an integrity error: the stored outcome of this key, or the error itself."""
    replay = stored_outcome(
        initiator=initiator, idempotency_key=idempotency_key, fingerprint=fingerprint, wallet=wallet
    )
    if replay is None:
        raise error
    return replay


def key_reused_error() -> WalletError:
    return WalletError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        "This idempotency key was already used for a different request; use a new key.",
        field="idempotency_key",
    )


def stored_outcome(*, initiator: User, idempotency_key: str, fingerprint: str, wallet: Wallet) -> MovementResult | None:
    """The outcome stored for this key (replayed), None if the key is new; refuses a key reused otherwise."""
    previous = Transaction.objects.filter(initiator=initiator, idempotency_key=idempotency_key).first()
    if previous is None:
        return None
    if previous.request_fingerprint != fingerprint:
        raise key_reused_error()
    return MovementResult(transaction=previous, wallet=Wallet.objects.get(pk=wallet.pk), replayed=True)


def _refusal_under_lock(movement: _Movement, sender: Wallet, receiver: Wallet) -> ErrorCode | None:
    if sender.currency != receiver.currency:
        return ErrorCode.CURRENCY_MISMATCH
    # Every reversal of one transaction debits the same wallet, whose lock we hold:
    # the reversed total read here cannot change before this one commits.
    if movement.original is not None and (
        selectors.reversed_amount(original=movement.original) + movement.amount > movement.original.amount
    ):
        return ErrorCode.REVERSAL_EXCEEDS_ORIGINAL
    return refusal_to_spend(sender, movement.amount, kind=movement.kind)


def refusal_to_spend(wallet: Wallet, amount: Decimal, *, kind: str) -> ErrorCode | None:
    """Why a locked wallet may not send this amount now: funds not reserved by holds, then the daily limit."""
    if wallet.kind == Wallet.Kind.CUSTOMER and selectors.available_balance(wallet=wallet) < amount:
        return ErrorCode.INSUFFICIENT_FUNDS
    if kind in Transaction.OUTGOING_KINDS and selectors.transferred_today(wallet=wallet) + amount > (
        wallet.daily_transfer_limit
    ):
        return ErrorCode.DAILY_LIMIT_EXCEEDED
    return None


@dataclass(frozen=True)
class Leg:
    wallet: Wallet
    delta: Decimal
    pending: bool = False  # reserves (or frees) money for a hold instead of moving it


def write_entries(txn: Transaction, legs: list[Leg]) -> list[LedgerEntry]:
    """Applies legs to locked wallets and writes their entries. Each layer of legs sums to zero."""
    changed: dict[int, Wallet] = {}
    entries = apply_legs(txn, legs, changed)
    save_wallets(changed)
    return LedgerEntry.objects.bulk_create(entries)


def apply_legs(txn: Transaction, legs: list[Leg], changed: dict[int, Wallet]) -> list[LedgerEntry]:
    """Moves the wallets in memory (posted legs move `balance`, pending legs a customer's `held`)
    and returns the unsaved entries, sealed into their wallets' hash chains (wallet/ledger_chain.py);
    `changed` collects the wallets to save."""
    entries = []
    key = ledger_chain.hash_key()
    for leg in legs:
        wallet = leg.wallet
        if not leg.pending:
            wallet.balance += leg.delta
            changed[wallet.pk] = wallet
        elif wallet.kind == Wallet.Kind.CUSTOMER:
            # The holds account is not locked (it would serialise every hold); its
            # pending entries are its record, and its posted balance never moves.
            wallet.held -= leg.delta
            changed[wallet.pk] = wallet
        entry = LedgerEntry(
            transaction=txn,
            wallet=wallet,
            delta=leg.delta,
            pending=leg.pending,
            balance_after=wallet.balance,
            created_at=txn.created_at,
        )
        # The chain's wallet is locked (the holds account's entries join the payer's chain): its head moves here.
        chain = ledger_chain.chain_wallet(wallet, txn)
        chain = changed.get(chain.pk, chain)
        ledger_chain.seal(entry, chain, key=key)
        changed[chain.pk] = chain
        entries.append(entry)
    if txn.kind in Transaction.OUTGOING_KINDS and legs:
        sender = txn.sender_wallet
        sender.spent_today = selectors.transferred_today(wallet=sender) + txn.amount
        sender.spent_on = timezone.localdate(txn.created_at)
        changed[sender.pk] = sender
    return entries


def save_wallets(changed: dict[int, Wallet]) -> None:
    for wallet in changed.values():
        wallet.save(update_fields=["balance", "held", "spent_today", "spent_on", "last_entry_hash"])


def record_parties(
    txn: Transaction, *, initiator_wallet: Wallet, entries: list[LedgerEntry], also: tuple[Wallet, ...] = ()
) -> None:
    TransactionParty.objects.bulk_create(party_rows(txn, initiator_wallet=initiator_wallet, entries=entries, also=also))


def party_rows(
    txn: Transaction, *, initiator_wallet: Wallet, entries: list[LedgerEntry], also: tuple[Wallet, ...] = ()
) -> list[TransactionParty]:
    """The initiator sees every attempt; the customer wallets it moved money in see its success."""
    wallet_ids = {initiator_wallet.pk, *(wallet.pk for wallet in also)}
    wallet_ids |= {entry.wallet_id for entry in entries if entry.wallet.kind == Wallet.Kind.CUSTOMER}
    return [TransactionParty(transaction=txn, wallet_id=wallet_id) for wallet_id in sorted(wallet_ids)]


EVENT_TYPES = {
    Transaction.Status.SUCCESS: "transaction.succeeded",
    Transaction.Status.FAILED: "transaction.failed",
    Transaction.Status.PENDING: "transaction.pending",
}


def record_event(txn: Transaction, entries: list[LedgerEntry]) -> None:
    event = event_for(txn, entries)
    event.save()
    dispatch_after_commit([event])
    metrics.count_after_commit([txn])


def event_for(txn: Transaction, entries: list[LedgerEntry]) -> OutboxEvent:
    return OutboxEvent(
        event_type=EVENT_TYPES[txn.status],
        transaction=txn,
        created_at=txn.created_at,
        payload={
            "schema_version": EVENT_SCHEMA_VERSION,
            "transaction_id": txn.pk,
            "kind": txn.kind,
            "status": txn.status,
            "failure_code": txn.failure_code or None,
            "amount": str(txn.amount),
            "currency": txn.currency,
            "initiator_id": txn.initiator_id,
            "sender_wallet_id": txn.sender_wallet_id,
            "receiver_wallet_id": txn.receiver_wallet_id,
            "original_transaction_id": txn.original_id,
            "expires_at": txn.expires_at.isoformat() if txn.expires_at else None,
            "entries": [
                {
                    "wallet_id": entry.wallet_id,
                    "delta": str(entry.delta),
                    "pending": entry.pending,
                    "balance_after": str(entry.balance_after),
                }
                for entry in entries
            ],
            "created_at": txn.created_at.isoformat(),
        },
    )
