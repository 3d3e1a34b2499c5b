"""Single movements: each use case validates its input and builds the transfer to post (wallet/services/posting.py,
the one place money moves). Holds are in `holds`, batches in `batches`, built the same way."""

from dataclasses import dataclass, replace
from decimal import Decimal

from wallet import selectors
from wallet.errors import ErrorCode, WalletError
from wallet.models import Transaction, User, Wallet
from wallet.money import to_minor_units
from wallet.services.posting import NO_TAGS, Tags, Transfer, failure_error, fingerprint, post
from wallet.validation import (
    clean_amount,
    clean_idempotency_key,
    clean_note,
    clean_username_reference,
    normalize_mobile_number,
)


@dataclass(frozen=True)
class MovementResult:
    transaction: Transaction
    wallet: Wallet  # the initiator's wallet, as it stands after the movement
    replayed: bool

    @property
    def error(self) -> WalletError | None:
        return failure_error(self.transaction)


def movement(
    *, initiator: User, idempotency_key: str, request_fingerprint: str, transfer: Transfer, tags: Tags = NO_TAGS
) -> MovementResult:
    """Posts one transfer, with the client's tags, as a request of its own."""
    tags = Tags.clean(tags.reference, tags.metadata)
    posted = post(
        initiator=initiator,
        idempotency_key=idempotency_key,
        request_fingerprint=tags.fingerprinted(request_fingerprint),
        transfers=[replace(transfer, reference=tags.reference, metadata=tags.metadata)],
    )
    return MovementResult(transaction=posted.transactions[0], wallet=posted.wallet, replayed=posted.replayed)


def money_add(*, user: User, amount: Decimal, idempotency_key: str, tags: Tags = NO_TAGS) -> MovementResult:
    """Tops up the user's wallet from the funding account."""
    sides = {"debit_system": Wallet.Kind.FUNDING, "credit": user.wallet.pk}
    return _against_system_account(Transaction.Kind.ADD_MONEY, user, amount, idempotency_key, tags, **sides)


def withdrawal_create(*, user: User, amount: Decimal, idempotency_key: str, tags: Tags = NO_TAGS) -> MovementResult:
    """Moves money out of the user's wallet to the payouts account."""
    sides = {"debit": user.wallet.pk, "credit_system": Wallet.Kind.PAYOUTS}
    return _against_system_account(Transaction.Kind.WITHDRAWAL, user, amount, idempotency_key, tags, **sides)


def transfer_create(
    *,
    sender: User,
    receiver_username: str,
    amount: Decimal,
    idempotency_key: str,
    note: str | None = None,
    tags: Tags = NO_TAGS,
) -> MovementResult:
    """Sends money to another user's wallet, named by username."""
    receiver = {"credit_username": lambda: clean_username_reference(receiver_username).lower()}
    return _to_user(Transaction.Kind.TRANSFER, sender, amount, idempotency_key, note, tags, **receiver)


def mobile_payment_create(
    *,
    sender: User,
    mobile_number: str,
    amount: Decimal,
    idempotency_key: str,
    note: str | None = None,
    tags: Tags = NO_TAGS,
) -> MovementResult:
    """Sends money to the wallet of the registered user with this mobile number."""
    receiver = {"credit_mobile": lambda: normalize_mobile_number(mobile_number)}
    return _to_user(Transaction.Kind.PAY_BY_MOBILE, sender, amount, idempotency_key, note, tags, **receiver)


def _against_system_account(kind: str, user: User, amount: Decimal, key: str, tags: Tags, **sides) -> MovementResult:
    amount = clean_amount(amount)
    return movement(
        initiator=user,
        idempotency_key=clean_idempotency_key(key),
        request_fingerprint=fingerprint(kind, to_minor_units(amount)),
        transfer=Transfer(kind=kind, amount=amount, **sides),
        tags=tags,
    )


def _to_user(kind: str, sender: User, amount: Decimal, key: str, note: str | None, tags: Tags, **receiver):
    """A payment to the user named by `receiver` (credit_username or credit_mobile: its cleaner, run last)."""
    amount, key, note = clean_amount(amount), clean_idempotency_key(key), clean_note(note)
    ((side, clean),) = receiver.items()
    reference = clean()
    return movement(
        initiator=sender,
        idempotency_key=key,
        request_fingerprint=fingerprint(kind, to_minor_units(amount), reference, note),
        transfer=Transfer(kind=kind, amount=amount, debit=sender.wallet.pk, note=note, **{side: reference}),
        tags=tags,
    )


def reversal_create(
    *, user: User, transaction_id: int | None, amount: Decimal | None, idempotency_key: str, tags: Tags = NO_TAGS
) -> MovementResult:
    """Returns money of a successful transfer or mobile payment to its sender, in full or in part.

    The receiver reverses (or a staff user with a wallet). The original is never changed: the reversal is a
    new transaction linked to it, and all reversals of one transaction never add up to more than it.
    """
    amount = clean_amount(amount) if amount is not None else None
    idempotency_key = clean_idempotency_key(idempotency_key)
    original = None
    if transaction_id is not None:
        original = selectors.reversible_transaction_for_user(user=user, transaction_id=transaction_id)
    if original is None:
        if transaction_id is not None and selectors.transaction_for_user(user=user, transaction_id=transaction_id):
            raise WalletError(
                ErrorCode.NOT_REVERSIBLE, "Only the receiver can reverse this transaction.", field="transaction_id"
            )
        raise WalletError(ErrorCode.TRANSACTION_NOT_FOUND, "No such transaction.", field="transaction_id")
    return _reversal(initiator=user, original=original, amount=amount, idempotency_key=idempotency_key, tags=tags)


def reversal_on_behalf(*, original: Transaction, amount: Decimal | None, idempotency_key: str) -> MovementResult:
    """Staff's reversal (wallet/services/staff.py): posted as the receiver's own reversal, so its checks are the ones
    the receiver's would meet (their daily limit among them) and staff need no wallet. `idempotency_key` is the
    service's own (SERVICE_KEY_PREFIX), so it never meets a key of the receiver's; the audit record says who did it."""
    amount = clean_amount(amount) if amount is not None else None
    reversible_check(original)
    return _reversal(
        initiator=original.receiver_wallet.user, original=original, amount=amount, idempotency_key=idempotency_key
    )


def reversible_check(original: Transaction) -> None:
    if original.kind not in Transaction.REVERSIBLE_KINDS or original.status != Transaction.Status.SUCCESS:
        raise WalletError(
            ErrorCode.NOT_REVERSIBLE,
            "Only a successful transfer or mobile payment can be reversed.",
            field="transaction_id",
        )


def _reversal(
    *, initiator: User, original: Transaction, amount: Decimal | None, idempotency_key: str, tags: Tags = NO_TAGS
) -> MovementResult:
    reversible_check(original)
    if amount is None:
        previous = Transaction.objects.filter(initiator=initiator, idempotency_key=idempotency_key).first()
        if previous is not None and previous.kind == Transaction.Kind.REVERSAL and previous.original_id == original.pk:
            # A retry of "return all that is left": it meant what was left then, and replays that.
            amount = previous.amount
        else:
            amount = original.amount - selectors.reversed_amount(original=original)
        if amount <= 0:
            raise WalletError(
                ErrorCode.REVERSAL_EXCEEDS_ORIGINAL, "This transaction is already fully reversed.", field="amount"
            )
    kind = Transaction.Kind.REVERSAL
    return movement(
        initiator=initiator,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint(kind, to_minor_units(amount), str(original.pk)),
        transfer=Transfer(
            kind=kind,
            amount=amount,
            debit=original.receiver_wallet_id,
            credit=original.sender_wallet_id,
            original=original.pk,
        ),
        tags=tags,
    )
