"""Holds: two-phase transfers. A hold reserves money in the payer's wallet; a capture settles all or part
of it to the receiver (the rest is released); a void or the expiry releases it. A hold resolves once.

The reservation lives in the ledger's pending layer (payer -amount, holds account +amount): the payer's
posted balance is untouched and its `held` grows, so every other movement sees less available money.
"""

from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError
from django.db import transaction as db_transaction
from django.utils import timezone

from wallet import selectors
from wallet.errors import ErrorCode, RetryableError, WalletError
from wallet.models import Transaction, User, Wallet
from wallet.services.ledger import (
    Leg,
    MovementResult,
    fingerprint,
    lock_wallets,
    receiver_refusal,
    record_event,
    record_parties,
    refusal_to_spend,
    replay_or_raise,
    stored_outcome,
    system_wallet,
    write_entries,
)
from wallet.services.retries import retrying_conflicts
from wallet.validation import (
    SERVICE_KEY_PREFIX,
    clean_amount,
    clean_idempotency_key,
    clean_note,
    clean_username_reference,
    normalize_mobile_number,
)

MAX_HOLD_SECONDS = 30 * 24 * 3600
EXPIRY_KEY_PREFIX = f"{SERVICE_KEY_PREFIX}expiry:"


def hold_create(
    *,
    payer: User,
    amount: Decimal,
    idempotency_key: str,
    expires_in_seconds: int,
    receiver_username: str | None = None,
    mobile_number: str | None = None,
    note: str | None = None,
) -> MovementResult:
    """Reserves `amount` of the payer's wallet for a receiver until captured, voided or expired."""
    amount = clean_amount(amount)
    idempotency_key = clean_idempotency_key(idempotency_key)
    note = clean_note(note)
    if not 1 <= expires_in_seconds <= MAX_HOLD_SECONDS:
        raise WalletError(
            ErrorCode.INVALID_INPUT,
            f"A hold expires in 1 to {MAX_HOLD_SECONDS} seconds.",
            field="expires_in_seconds",
        )
    if (receiver_username is None) == (mobile_number is None):
        raise WalletError(ErrorCode.INVALID_INPUT, "Name the receiver by username or by mobile number, not both.")
    if receiver_username is not None:
        reference = clean_username_reference(receiver_username).lower()
        receiver = selectors.active_user_by_username(reference)
    else:
        reference = normalize_mobile_number(mobile_number)
        receiver = selectors.active_user_by_mobile_number(reference)
    payer_wallet = selectors.wallet_for_user(user=payer)
    refusal = receiver_refusal(payer, receiver)
    key_fingerprint = fingerprint(Transaction.Kind.HOLD, amount, reference, str(expires_in_seconds), note)
    holds_account = system_wallet(Wallet.Kind.HOLDS)

    def attempt() -> MovementResult:
        return _hold_create_once(
            payer=payer,
            payer_wallet=payer_wallet,
            receiver=receiver,
            refusal=refusal,
            amount=amount,
            idempotency_key=idempotency_key,
            key_fingerprint=key_fingerprint,
            expires_in_seconds=expires_in_seconds,
            note=note,
            holds_account=holds_account,
        )

    return retrying_conflicts(attempt)


def _hold_create_once(
    *,
    payer: User,
    payer_wallet: Wallet,
    receiver: User | None,
    refusal: ErrorCode | None,
    amount: Decimal,
    idempotency_key: str,
    key_fingerprint: str,
    expires_in_seconds: int,
    note: str,
    holds_account: Wallet,
) -> MovementResult:
    try:
        with db_transaction.atomic():
            locked = lock_wallets({payer_wallet.pk} | ({receiver.wallet.pk} if receiver else set()))
            payer_locked = locked[payer_wallet.pk]
            receiver_wallet = locked[receiver.wallet.pk] if receiver else None
            if refusal is None and payer_locked.currency != receiver_wallet.currency:
                refusal = ErrorCode.CURRENCY_MISMATCH
            refusal = refusal or refusal_to_spend(payer_locked, amount, kind=Transaction.Kind.HOLD)
            now = timezone.now()
            hold = Transaction.objects.create(
                kind=Transaction.Kind.HOLD,
                status=Transaction.Status.FAILED if refusal else Transaction.Status.PENDING,
                amount=amount,
                currency=payer_locked.currency,
                initiator=payer,
                sender_wallet=payer_locked,
                receiver_wallet=receiver_wallet,
                idempotency_key=idempotency_key,
                request_fingerprint=key_fingerprint,
                failure_code=refusal.value if refusal else "",
                note=note,
                expires_at=None if refusal else now + timedelta(seconds=expires_in_seconds),
                created_at=now,
            )
            legs = (
                [] if refusal else [Leg(payer_locked, -amount, pending=True), Leg(holds_account, amount, pending=True)]
            )
            entries = write_entries(hold, legs)
            record_parties(
                hold, initiator_wallet=payer_locked, entries=entries, also=() if refusal else (receiver_wallet,)
            )
            record_event(hold, entries)
    except IntegrityError as error:
        return replay_or_raise(
            error, initiator=payer, idempotency_key=idempotency_key, fingerprint=key_fingerprint, wallet=payer_wallet
        )
    return MovementResult(transaction=hold, wallet=payer_locked, replayed=False)


def hold_capture(*, user: User, hold_id: int | None, amount: Decimal | None, idempotency_key: str) -> MovementResult:
    """Settles all or part (never more) of an active hold to its receiver; the rest is released."""
    amount = clean_amount(amount) if amount is not None else None
    idempotency_key = clean_idempotency_key(idempotency_key)
    hold = _payers_hold(user=user, hold_id=hold_id)
    captured = hold.amount if amount is None else amount
    if captured > hold.amount:
        raise WalletError(ErrorCode.CAPTURE_EXCEEDS_HOLD, f"At most {hold.amount} can be captured.", field="amount")
    key_fingerprint = fingerprint(Transaction.Kind.HOLD_CAPTURE, captured, str(hold.pk))

    def legs(payer: Wallet, receiver: Wallet, holds_account: Wallet) -> list[Leg]:
        return [
            Leg(payer, hold.amount, pending=True),
            Leg(holds_account, -hold.amount, pending=True),
            Leg(payer, -captured),
            Leg(receiver, captured),
        ]

    return _resolve(
        user=user,
        hold=hold,
        kind=Transaction.Kind.HOLD_CAPTURE,
        amount=captured,
        legs=legs,
        idempotency_key=idempotency_key,
        key_fingerprint=key_fingerprint,
    )


def hold_void(*, user: User, hold_id: int | None, idempotency_key: str) -> MovementResult:
    """Releases an active hold: the payer's reserved money is available again."""
    idempotency_key = clean_idempotency_key(idempotency_key)
    hold = _payers_hold(user=user, hold_id=hold_id)
    key_fingerprint = fingerprint(Transaction.Kind.HOLD_RELEASE, hold.amount, str(hold.pk))
    return _resolve(
        user=user,
        hold=hold,
        kind=Transaction.Kind.HOLD_RELEASE,
        amount=hold.amount,
        legs=_release_legs(hold),
        idempotency_key=idempotency_key,
        key_fingerprint=key_fingerprint,
    )


def holds_release_expired(*, now=None) -> int:
    """Releases every expired, unresolved hold (the periodic task); returns how many it released."""
    now = now or timezone.now()
    released = 0
    expired = Transaction.objects.filter(
        kind=Transaction.Kind.HOLD, status=Transaction.Status.PENDING, expires_at__lte=now
    ).exclude(follow_ups__kind__in=Transaction.HOLD_RESOLUTION_KINDS, follow_ups__status=Transaction.Status.SUCCESS)
    for hold in expired.select_related("initiator", "sender_wallet", "receiver_wallet").iterator():
        try:
            result = _resolve(
                user=hold.initiator,
                hold=hold,
                kind=Transaction.Kind.HOLD_RELEASE,
                amount=hold.amount,
                legs=_release_legs(hold),
                idempotency_key=f"{EXPIRY_KEY_PREFIX}{hold.pk}",
                key_fingerprint=fingerprint(Transaction.Kind.HOLD_RELEASE, hold.amount, str(hold.pk)),
                releasing_expired=True,
            )
        except WalletError:
            continue  # resolved meanwhile by a capture or void that won the lock
        except RetryableError:
            continue  # its wallets stayed locked too long: the next run releases it
        released += not result.replayed
    return released


def _release_legs(hold: Transaction):
    def legs(payer: Wallet, receiver: Wallet, holds_account: Wallet) -> list[Leg]:
        return [Leg(payer, hold.amount, pending=True), Leg(holds_account, -hold.amount, pending=True)]

    return legs


def _payers_hold(*, user: User, hold_id: int | None) -> Transaction:
    hold = None
    if hold_id is not None:
        hold = (
            Transaction.objects.select_related("sender_wallet", "receiver_wallet")
            .filter(pk=hold_id, kind=Transaction.Kind.HOLD, initiator=user)
            .exclude(status=Transaction.Status.FAILED)
            .first()
        )
    if hold is None:
        raise WalletError(ErrorCode.HOLD_NOT_FOUND, "No such hold of yours.", field="hold_id")
    return hold


def _resolve(**arguments) -> MovementResult:
    return retrying_conflicts(lambda: _resolve_once(**arguments))


def _resolve_once(
    *,
    user: User,
    hold: Transaction,
    kind: str,
    amount: Decimal,
    legs,
    idempotency_key: str,
    key_fingerprint: str,
    releasing_expired: bool = False,
) -> MovementResult:
    holds_account = system_wallet(Wallet.Kind.HOLDS)
    try:
        with db_transaction.atomic():
            locked = lock_wallets({hold.sender_wallet_id, hold.receiver_wallet_id})
            payer, receiver = locked[hold.sender_wallet_id], locked[hold.receiver_wallet_id]
            # Under the payer's lock every resolution of this hold is serialised. A retry
            # of the resolution that won replays it rather than meeting "already resolved".
            replay = stored_outcome(
                initiator=user, idempotency_key=idempotency_key, fingerprint=key_fingerprint, wallet=payer
            )
            if replay is not None:
                return replay
            if selectors.hold_is_resolved(hold=hold):
                raise WalletError(ErrorCode.HOLD_ALREADY_RESOLVED, "This hold was already captured or voided.")
            expired = timezone.now() >= hold.expires_at
            if expired and not releasing_expired:
                raise WalletError(ErrorCode.HOLD_EXPIRED, "This hold has expired; its money was released.")
            now = timezone.now()
            txn = Transaction.objects.create(
                kind=kind,
                status=Transaction.Status.SUCCESS,
                amount=amount,
                currency=hold.currency,
                initiator=user,
                sender_wallet=payer,
                receiver_wallet=receiver if kind == Transaction.Kind.HOLD_CAPTURE else payer,
                idempotency_key=idempotency_key,
                request_fingerprint=key_fingerprint,
                original=hold,
                created_at=now,
            )
            entries = write_entries(txn, legs(payer, receiver, holds_account))
            record_parties(txn, initiator_wallet=payer, entries=entries)
            record_event(txn, entries)
    except IntegrityError as error:
        return replay_or_raise(
            error,
            initiator=user,
            idempotency_key=idempotency_key,
            fingerprint=key_fingerprint,
            wallet=hold.sender_wallet,
        )
    return MovementResult(transaction=txn, wallet=payer, replayed=False)
