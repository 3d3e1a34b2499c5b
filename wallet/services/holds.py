"""Holds: two-phase transfers. A hold reserves money in the payer's wallet; a capture settles all or part
of it to the receiver (the rest is released); a void or the expiry releases it. A hold resolves once.

The reservation lives in the ledger's pending layer (payer -amount, holds account +amount): the payer's
posted balance is untouched and its `held` grows, so every other movement sees less available money. Each
is one transfer posted by the engine (wallet/services/posting.py), with its pending, post or void flag.
"""

from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from wallet.errors import ErrorCode, RetryableError, WalletError
from wallet.models import Transaction, User
from wallet.money import to_minor_units
from wallet.services.ledger import MovementResult, movement
from wallet.services.posting import NO_TAGS, Tags, Transfer, fingerprint
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
    tags: Tags = NO_TAGS,
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
    receiver = {}
    if receiver_username is not None:
        reference = receiver["credit_username"] = clean_username_reference(receiver_username).lower()
    else:
        reference = receiver["credit_mobile"] = normalize_mobile_number(mobile_number)
    kind = Transaction.Kind.HOLD
    return movement(
        initiator=payer,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint(kind, to_minor_units(amount), reference, str(expires_in_seconds), note),
        transfer=Transfer(
            kind=kind,
            amount=amount,
            debit=payer.wallet.pk,
            pending=True,
            timeout=expires_in_seconds,
            note=note,
            **receiver,
        ),
        tags=tags,
    )


def hold_capture(
    *, user: User, hold_id: int | None, amount: Decimal | None, idempotency_key: str, tags: Tags = NO_TAGS
) -> MovementResult:
    """Settles all or part (never more) of an active hold to its receiver; the rest is released. The payer or the
    receiver may."""
    amount = clean_amount(amount) if amount is not None else None
    idempotency_key = clean_idempotency_key(idempotency_key)
    hold = _resolvable_hold(user=user, hold_id=hold_id)
    captured = hold.amount if amount is None else amount
    if captured > hold.amount:
        raise WalletError(ErrorCode.CAPTURE_EXCEEDS_HOLD, f"At most {hold.amount} can be captured.", field="amount")
    kind = Transaction.Kind.HOLD_CAPTURE
    return movement(
        initiator=user,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint(kind, to_minor_units(captured), str(hold.pk)),
        transfer=Transfer(kind=kind, amount=captured, post_pending=hold.pk),
        tags=tags,
    )


def hold_void(*, user: User, hold_id: int | None, idempotency_key: str, tags: Tags = NO_TAGS) -> MovementResult:
    """Releases an active hold: the payer's reserved money is available again. The payer or the receiver may."""
    idempotency_key = clean_idempotency_key(idempotency_key)
    hold = _resolvable_hold(user=user, hold_id=hold_id)
    return _release(user=user, hold=hold, idempotency_key=idempotency_key, tags=tags)


def holds_release_expired(*, now=None) -> int:
    """Releases every expired, unresolved hold (the periodic task); returns how many it released."""
    now = now or timezone.now()
    released = 0
    expired = Transaction.objects.filter(
        kind=Transaction.Kind.HOLD, status=Transaction.Status.PENDING, expires_at__lte=now
    ).exclude(follow_ups__kind__in=Transaction.HOLD_RESOLUTION_KINDS, follow_ups__status=Transaction.Status.SUCCESS)
    for hold in expired.select_related("initiator", "sender_wallet", "receiver_wallet").iterator():
        try:
            result = _release(
                user=hold.initiator, hold=hold, idempotency_key=f"{EXPIRY_KEY_PREFIX}{hold.pk}", expired=True
            )
        except WalletError:
            continue  # resolved meanwhile by a capture or void that won the lock
        except RetryableError:
            continue  # its wallets stayed locked too long: the next run releases it
        released += not result.replayed
    return released


def _release(
    *, user: User, hold: Transaction, idempotency_key: str, expired: bool = False, tags: Tags = NO_TAGS
) -> MovementResult:
    kind = Transaction.Kind.HOLD_RELEASE
    return movement(
        initiator=user,
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint(kind, to_minor_units(hold.amount), str(hold.pk)),
        transfer=Transfer(kind=kind, amount=hold.amount, void_pending=hold.pk, expired_release=expired),
        tags=tags,
    )


def _resolvable_hold(*, user: User, hold_id: int | None) -> Transaction:
    """A hold the user may capture or void: one they placed (the payer), or one placed for them (the receiver, a
    merchant capturing a customer's authorisation). Whoever resolves it, it resolves once."""
    hold = None
    if hold_id is not None:
        hold = (
            Transaction.objects.select_related("sender_wallet", "receiver_wallet")
            .filter(Q(initiator=user) | Q(receiver_wallet__user=user), pk=hold_id, kind=Transaction.Kind.HOLD)
            .exclude(status=Transaction.Status.FAILED)
            .first()
        )
    if hold is None:
        raise WalletError(ErrorCode.HOLD_NOT_FOUND, "No such hold of yours or for you.", field="hold_id")
    return hold
