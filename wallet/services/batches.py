"""Transfer batches: up to 100 transfers from one wallet, posted as one request (wallet/services/posting.py).

The wallets are locked once, in id order, for the whole batch, and the batch commits once. With `atomic`, all
succeed or none do (TigerBeetle's linked transfers): if one is refused, every transfer of the batch is recorded as
FAILED, the others with LINKED_TRANSFER_FAILED. Otherwise each succeeds or fails alone. The batch's key is one of
the sender's keys like any other: its transfers are stored as key#0, key#1, ...
"""

from dataclasses import dataclass
from decimal import Decimal

from wallet.errors import ErrorCode, ValidationFailed, WalletError
from wallet.models import Transaction, User, Wallet
from wallet.money import to_minor_units
from wallet.services.posting import NO_TAGS, Tags, Transfer, failure_error, fingerprint, post
from wallet.validation import clean_amount, clean_idempotency_key, clean_note, clean_username_reference

MAX_BATCH_SIZE = 100


@dataclass(frozen=True)
class BatchItem:
    receiver_username: str
    amount: Decimal
    note: str | None = None
    tags: Tags = NO_TAGS


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
    kind = Transaction.Kind.TRANSFER
    posted = post(
        initiator=sender,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint(
            "TRANSFER_BATCH",
            atomic,
            [[i.receiver_username, to_minor_units(i.amount), i.note, *_tags(i.tags)] for i in items],
        ),
        transfers=[
            Transfer(
                kind=kind,
                amount=item.amount,
                debit=sender.wallet.pk,
                credit_username=item.receiver_username,
                note=item.note,
                reference=item.tags.reference,
                metadata=item.tags.metadata,
            )
            for item in items
        ],
        linked=atomic,
        batch=True,
    )
    return BatchResult(transactions=posted.transactions, wallet=posted.wallet, replayed=posted.replayed)


def _tags(tags: Tags) -> list:
    """An item's tags in the batch's fingerprint, only when it has any (so older batches replay unchanged)."""
    return [tags.reference, sorted(tags.metadata.items())] if tags.reference or tags.metadata else []


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
                    tags=Tags.clean(item.tags.reference, item.tags.metadata),
                )
            )
        except WalletError as error:
            errors.append(WalletError(error.code, error.message, field=f"transfers.{index}.{error.field}"))
    if errors:
        raise ValidationFailed(errors)
    return items
