"""Transfer batches: up to 100 transfers from one wallet in one database transaction.

The wallets are locked once, in id order, for the whole batch, and the rows are
written with one statement per table, so a batch moves many transfers per
commit. With `atomic`, all succeed or none do (like TigerBeetle's linked
events): if one is refused, every transfer of the batch is recorded as FAILED,
the others with LINKED_TRANSFER_FAILED. Otherwise each succeeds or fails alone.
"""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.utils import timezone

from wallet import metrics, selectors
from wallet.errors import ErrorCode, ValidationFailed, WalletError
from wallet.events.local import dispatch_after_commit
from wallet.models import LedgerEntry, OutboxEvent, Transaction, TransactionParty, User, Wallet
from wallet.money import to_minor_units
from wallet.services.ledger import (
    Leg,
    apply_legs,
    event_for,
    failure_error,
    key_reused_error,
    lock_wallets,
    party_rows,
    receiver_refusal,
    save_wallets,
)
from wallet.services.retries import retrying_conflicts
from wallet.validation import clean_amount, clean_idempotency_key, clean_note, clean_username_reference

MAX_BATCH_SIZE = 100


@dataclass(frozen=True)
class BatchItem:
    receiver_username: str
    amount: Decimal
    note: str | None = None


@dataclass(frozen=True)
class BatchResult:
    transactions: list[Transaction]  # in the order of the batch
    wallet: Wallet  # the sender's, as it stands after the batch
    replayed: bool

    @property
    def errors(self) -> list[WalletError]:
        """One error per refused transfer; `field` starts with transfers.<index>."""
        errors = []
        for index, txn in enumerate(self.transactions):
            error = failure_error(txn)
            if error is not None:
                field = f"transfers.{index}" + (f".{error.field}" if error.field else "")
                errors.append(WalletError(error.code, error.message, field=field))
        return errors


def transfer_batch_create(
    *, sender: User, transfers: list[BatchItem], atomic: bool, idempotency_key: str
) -> BatchResult:
    idempotency_key = clean_idempotency_key(idempotency_key)
    items = _clean(transfers)
    wallet = selectors.wallet_for_user(user=sender)
    receivers = selectors.active_users_by_usernames([item.receiver_username for item in items])
    keys = [f"{idempotency_key}#{index}" for index in range(len(items))]
    batch_fingerprint = _fingerprint(items, atomic)
    return retrying_conflicts(
        lambda: _batch_once(
            sender=sender,
            wallet=wallet,
            items=items,
            receivers=receivers,
            keys=keys,
            atomic=atomic,
            batch_fingerprint=batch_fingerprint,
        )
    )


def _batch_once(
    *,
    sender: User,
    wallet: Wallet,
    items: list[BatchItem],
    receivers: dict[str, User],
    keys: list[str],
    atomic: bool,
    batch_fingerprint: str,
) -> BatchResult:
    try:
        with db_transaction.atomic():
            receiver_wallets = {user.wallet.pk for user in receivers.values()}
            locked = lock_wallets({wallet.pk} | receiver_wallets)
            sender_wallet = locked[wallet.pk]
            stored = _stored_batch(sender, keys, batch_fingerprint, sender_wallet)
            if stored is not None:
                return stored
            refusals = _refusals(items, sender, sender_wallet, receivers, locked, atomic)
            now = timezone.now()
            txns = Transaction.objects.bulk_create(
                [
                    Transaction(
                        kind=Transaction.Kind.TRANSFER,
                        status=Transaction.Status.FAILED if refusal else Transaction.Status.SUCCESS,
                        amount=item.amount,
                        currency=sender_wallet.currency,
                        initiator=sender,
                        sender_wallet=sender_wallet,
                        receiver_wallet=_receiver_wallet(item, receivers, locked),
                        idempotency_key=key,
                        request_fingerprint=batch_fingerprint,
                        failure_code=refusal.value if refusal else "",
                        note=item.note,
                        created_at=now,
                    )
                    for item, key, refusal in zip(items, keys, refusals, strict=True)
                ]
            )
            changed: dict[int, Wallet] = {}
            entries, parties, events = [], [], []
            for txn in txns:
                legs = (
                    [] if txn.failure_code else [Leg(sender_wallet, -txn.amount), Leg(txn.receiver_wallet, txn.amount)]
                )
                txn_entries = apply_legs(txn, legs, changed)
                entries += txn_entries
                parties += party_rows(txn, initiator_wallet=sender_wallet, entries=txn_entries)
                events.append(event_for(txn, txn_entries))
            save_wallets(changed)
            LedgerEntry.objects.bulk_create(entries)
            TransactionParty.objects.bulk_create(parties)
            OutboxEvent.objects.bulk_create(events)
            dispatch_after_commit(events)
            metrics.count_after_commit([event.transaction for event in events])
    except IntegrityError:
        # A twin of this batch committed while this one waited for the locks.
        stored = _stored_batch(sender, keys, batch_fingerprint, wallet)
        if stored is None:
            raise
        return stored
    return BatchResult(transactions=txns, wallet=sender_wallet, replayed=False)


def _clean(transfers: list[BatchItem]) -> list[BatchItem]:
    if not 1 <= len(transfers) <= MAX_BATCH_SIZE:
        raise ValidationFailed(
            [WalletError(ErrorCode.INVALID_INPUT, f"A batch holds 1 to {MAX_BATCH_SIZE} transfers.", field="transfers")]
        )
    items, errors = [], []
    for index, item in enumerate(transfers):
        try:
            items.append(
                BatchItem(
                    receiver_username=clean_username_reference(item.receiver_username).lower(),
                    amount=clean_amount(item.amount),
                    note=clean_note(item.note),
                )
            )
        except WalletError as error:
            errors.append(WalletError(error.code, error.message, field=f"transfers.{index}.{error.field}"))
    if errors:
        raise ValidationFailed(errors)
    return items


def _fingerprint(items: list[BatchItem], atomic: bool) -> str:
    canonical = json.dumps(
        ["TRANSFER_BATCH", atomic, [[i.receiver_username, to_minor_units(i.amount), i.note] for i in items]],
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _receiver_wallet(item: BatchItem, receivers: dict[str, User], locked: dict[int, Wallet]) -> Wallet | None:
    receiver = receivers.get(item.receiver_username)
    return locked[receiver.wallet.pk] if receiver is not None else None


def _refusals(items, sender, sender_wallet, receivers, locked, atomic) -> list[ErrorCode | None]:
    """Each transfer's refusal, in order, as if the ones before it had moved."""
    available = selectors.available_balance(wallet=sender_wallet)
    spent = selectors.transferred_today(wallet=sender_wallet)
    refusals = []
    for item in items:
        receiver = receivers.get(item.receiver_username)
        refusal = receiver_refusal(sender, receiver) or _refusal_to_send(
            item.amount, sender_wallet, locked[receiver.wallet.pk], available, spent
        )
        if refusal is None:
            available -= item.amount
            spent += item.amount
        refusals.append(refusal)
    if atomic and any(refusals):
        return [refusal or ErrorCode.LINKED_TRANSFER_FAILED for refusal in refusals]
    return refusals


def _refusal_to_send(amount, sender_wallet, receiver_wallet, available, spent) -> ErrorCode | None:
    if receiver_wallet.currency != sender_wallet.currency:
        return ErrorCode.CURRENCY_MISMATCH
    if available < amount:
        return ErrorCode.INSUFFICIENT_FUNDS
    if spent + amount > sender_wallet.daily_transfer_limit:
        return ErrorCode.DAILY_LIMIT_EXCEEDED
    return None


def _stored_batch(sender: User, keys: list[str], batch_fingerprint: str, wallet: Wallet) -> BatchResult | None:
    stored = {
        txn.idempotency_key: txn for txn in Transaction.objects.filter(initiator=sender, idempotency_key__in=keys)
    }
    if not stored:
        return None
    if len(stored) != len(keys) or any(txn.request_fingerprint != batch_fingerprint for txn in stored.values()):
        raise key_reused_error()
    return BatchResult(
        transactions=[stored[key] for key in keys], wallet=Wallet.objects.get(pk=wallet.pk), replayed=True
    )
