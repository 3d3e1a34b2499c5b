"""Payment requests (request-to-pay): a requester asks a payer for an amount; the payer approves (pays) or declines,
the requester may cancel, and an unanswered request expires.

A request leaves PENDING once. Every change of its state happens under its row's lock (SELECT … FOR UPDATE), in
the same database transaction as what goes with it: its outbox event, and for an approval the transfer itself. An
approval is a TRANSFER from the payer to the requester through the ordinary transfer service (so the engine checks
funds and the daily limit, and records a refusal as a FAILED movement), posted inside the approval's transaction
while it holds the request's lock; only a transfer that succeeded marks the request PAID. So two approvals, an
approval and a cancel, or an approval and the expiry pass, queue on the one row, and the later one finds the request
no longer PENDING. The transfer also carries the reference `payment-request:<id>`, which the engine lets succeed
once per payer: even a path that skipped the lock could not pay a request twice.

Lock order: the request row, then the wallets (the engine locks them in ascending id order). Declining, cancelling
and expiring lock only request rows, and nothing locks a wallet and then a request, so no cycle can form.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from wallet import selectors
from wallet.errors import FAILURE_MESSAGES, ErrorCode, WalletError
from wallet.events.local import dispatch_after_commit
from wallet.models import OutboxEvent, PaymentRequest, Transaction, User
from wallet.money import to_minor_units
from wallet.services.ledger import transfer_create
from wallet.services.posting import Tags, failure_error, fingerprint
from wallet.services.retries import retrying_conflicts
from wallet.validation import (
    clean_amount,
    clean_idempotency_key,
    clean_note,
    clean_username_reference,
    normalize_mobile_number,
)

MIN_EXPIRY_SECONDS = 60
MAX_EXPIRY_SECONDS = 30 * 24 * 3600
# The reference of the transfer that pays a request: it ties the movement to the request, and the engine lets a
# reference take effect once per initiator (the payer).
REFERENCE_PREFIX = "payment-request:"
EXPIRE_BATCH_SIZE = 500

NOT_FOUND_MESSAGE = "No such payment request of yours."


@dataclass(frozen=True)
class PaymentRequestResult:
    payment_request: PaymentRequest
    replayed: bool = False


@dataclass(frozen=True)
class ApprovalResult:
    payment_request: PaymentRequest
    transaction: Transaction | None  # the transfer: SUCCESS, or FAILED when the engine refused it
    replayed: bool

    @property
    def error(self) -> WalletError | None:
        return failure_error(self.transaction) if self.transaction is not None else None


def transfer_reference(payment_request: PaymentRequest) -> str:
    return f"{REFERENCE_PREFIX}{payment_request.pk}"


def payment_request_create(
    *,
    requester: User,
    amount: Decimal,
    expires_in_seconds: int,
    idempotency_key: str,
    payer_username: str | None = None,
    mobile_number: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> PaymentRequestResult:
    """Asks the payer (by username or by mobile number) for `amount`, until `expires_in_seconds` from now. The same
    key with the same parameters replays the request it made; with others it is IDEMPOTENCY_KEY_REUSED."""
    idempotency_key = clean_idempotency_key(idempotency_key)
    amount = clean_amount(amount)
    note = clean_note(note)
    if not MIN_EXPIRY_SECONDS <= expires_in_seconds <= MAX_EXPIRY_SECONDS:
        raise WalletError(
            ErrorCode.INVALID_INPUT,
            f"A payment request expires in {MIN_EXPIRY_SECONDS} to {MAX_EXPIRY_SECONDS} seconds (30 days).",
            field="expires_in_seconds",
        )
    if (payer_username is None) == (mobile_number is None):
        raise WalletError(ErrorCode.INVALID_INPUT, "Name the payer by username or by mobile number, not both.")
    if payer_username is not None:
        payer_field, payer_reference = (
            "payer_username",
            clean_username_reference(payer_username, field="payer_username"),
        )
        payer_reference = payer_reference.lower()
    else:
        payer_field, payer_reference = "mobile_number", normalize_mobile_number(mobile_number)
    request_fingerprint = fingerprint(
        "PAYMENT_REQUEST", to_minor_units(amount), payer_field, payer_reference, note, expires_in_seconds
    )
    earlier = _earlier_request(requester, idempotency_key, request_fingerprint)
    if earlier is not None:
        return PaymentRequestResult(payment_request=earlier, replayed=True)

    payer = (
        selectors.active_user_by_username(payer_reference)
        if payer_field == "payer_username"
        else selectors.active_user_by_mobile_number(payer_reference)
    )
    payer_wallet = getattr(payer, "wallet", None) if payer is not None else None
    if payer_wallet is None:
        # The words payByMobile answers for an unknown number, so a request probes no more than a payment does.
        code = ErrorCode.RECEIVER_NOT_FOUND
        raise WalletError(code, FAILURE_MESSAGES[code], field=payer_field)
    if payer.pk == requester.pk:
        raise WalletError(ErrorCode.SELF_TRANSFER, "You cannot request money from yourself.", field=payer_field)
    if payer_wallet.currency != requester.wallet.currency:
        raise WalletError(
            ErrorCode.CURRENCY_MISMATCH, "The payer's wallet holds a different currency.", field=payer_field
        )
    now = now or selectors.payment_request_clock()
    try:
        with transaction.atomic():
            payment_request = PaymentRequest.objects.create(
                requester=requester,
                payer=payer,
                amount=amount,
                currency=requester.wallet.currency,
                note=note,
                idempotency_key=idempotency_key,
                request_fingerprint=request_fingerprint,
                expires_at=now + timedelta(seconds=expires_in_seconds),
                created_at=now,
            )
            _emit([payment_request], "payment_request.created", at=now)
    except IntegrityError:
        # The same key, sent twice at once: the other request made it (or the key was used with other parameters).
        earlier = _earlier_request(requester, idempotency_key, request_fingerprint)
        if earlier is None:
            raise
        return PaymentRequestResult(payment_request=earlier, replayed=True)
    return PaymentRequestResult(payment_request=payment_request)


def payment_request_approve(
    *, payer: User, payment_request_id: int | None, idempotency_key: str, now: datetime | None = None
) -> ApprovalResult:
    """Pays a PENDING, unexpired request addressed to `payer`: a transfer of its amount to the requester. A refused
    transfer (funds, daily limit) is recorded FAILED and leaves the request PENDING. The same key again replays
    its outcome; another key on a request that is no longer PENDING is PAYMENT_REQUEST_NOT_PENDING."""
    idempotency_key = clean_idempotency_key(idempotency_key)

    def approve() -> ApprovalResult:
        with transaction.atomic():
            _bound_lock_waits()
            payment_request = _locked(payment_request_id, payer=payer)
            earlier = Transaction.objects.filter(initiator=payer, idempotency_key=idempotency_key).first()
            if earlier is not None:
                if earlier.kind != Transaction.Kind.TRANSFER or earlier.reference != transfer_reference(
                    payment_request
                ):
                    raise WalletError(
                        ErrorCode.IDEMPOTENCY_KEY_REUSED,
                        "This idempotency key was already used for a different request; use a new key.",
                        field="idempotency_key",
                    )
                return ApprovalResult(payment_request=payment_request, transaction=earlier, replayed=True)
            moment = now or selectors.payment_request_clock()
            _require_pending(payment_request, moment)
            result = transfer_create(
                sender=payer,
                receiver_username=payment_request.requester.username,
                amount=payment_request.amount,
                idempotency_key=idempotency_key,
                note=payment_request.note,
                tags=Tags(reference=transfer_reference(payment_request)),
            )
            if result.error is None:
                _close([payment_request], PaymentRequest.Status.PAID, at=moment, paid_by=result.transaction)
            return ApprovalResult(payment_request=payment_request, transaction=result.transaction, replayed=False)

    return retrying_conflicts(approve)


def payment_request_decline(
    *, payer: User, payment_request_id: int | None, idempotency_key: str, now: datetime | None = None
) -> PaymentRequest:
    """The payer turns a PENDING request down."""
    return _close_one(payment_request_id, idempotency_key, PaymentRequest.Status.DECLINED, now=now, payer=payer)


def payment_request_cancel(
    *, requester: User, payment_request_id: int | None, idempotency_key: str, now: datetime | None = None
) -> PaymentRequest:
    """The requester withdraws a PENDING request."""
    return _close_one(
        payment_request_id, idempotency_key, PaymentRequest.Status.CANCELLED, now=now, requester=requester
    )


def payment_requests_expire(*, now: datetime | None = None) -> int:
    """Marks every PENDING request past its expiry EXPIRED, with its event (the scheduler's pass); returns how many.
    A request whose row another transaction holds (an approval under way) is skipped: that one decides it, and if it
    leaves it PENDING the next pass expires it."""
    now = now or selectors.payment_request_clock()
    expired = 0
    while True:
        with transaction.atomic():
            due = list(
                PaymentRequest.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(status=PaymentRequest.Status.PENDING, expires_at__lte=now)
                .select_related("requester__wallet", "payer__wallet")
                .order_by("id")[:EXPIRE_BATCH_SIZE]
            )
            if due:
                _close(due, PaymentRequest.Status.EXPIRED, at=now)
        expired += len(due)
        if len(due) < EXPIRE_BATCH_SIZE:
            return expired


# --- under the lock ----------------------------------------------------------------------------------------------


def _close_one(
    payment_request_id: int | None, idempotency_key: str, status: str, *, now: datetime | None, **party: User
) -> PaymentRequest:
    idempotency_key = clean_idempotency_key(idempotency_key)

    def close() -> PaymentRequest:
        with transaction.atomic():
            _bound_lock_waits()
            payment_request = _locked(payment_request_id, **party)
            if payment_request.status == status and payment_request.resolution_idempotency_key == idempotency_key:
                return payment_request  # a retry of the decline or cancel that closed it
            moment = now or selectors.payment_request_clock()
            _require_pending(payment_request, moment)
            _close([payment_request], status, at=moment, key=idempotency_key)
            return payment_request

    return retrying_conflicts(close)


def _locked(payment_request_id: int | None, **party: User) -> PaymentRequest:
    """The request, locked, if `party` (payer= or requester=) is that side of it; anyone else finds nothing."""
    payment_request = None
    if payment_request_id is not None:
        payment_request = (
            PaymentRequest.objects.select_for_update(of=("self",))
            .select_related("requester__wallet", "payer__wallet")
            .filter(pk=payment_request_id, **party)
            .first()
        )
    if payment_request is None:
        raise WalletError(ErrorCode.PAYMENT_REQUEST_NOT_FOUND, NOT_FOUND_MESSAGE, field="id")
    return payment_request


def _require_pending(payment_request: PaymentRequest, now: datetime) -> None:
    if payment_request.status != PaymentRequest.Status.PENDING:
        raise WalletError(
            ErrorCode.PAYMENT_REQUEST_NOT_PENDING,
            f"This payment request is {payment_request.status.lower()}, no longer pending.",
            field="id",
        )
    if now >= payment_request.expires_at:
        raise WalletError(ErrorCode.PAYMENT_REQUEST_NOT_PENDING, "This payment request has expired.", field="id")


def _close(
    payment_requests: list[PaymentRequest],
    status: str,
    *,
    at: datetime,
    key: str = "",
    paid_by: Transaction | None = None,
) -> None:
    """Moves locked PENDING requests to `status` at `at` and writes their events, in the caller's transaction. An
    expired request is resolved at its expiry, as readers saw it from then on."""
    for payment_request in payment_requests:
        payment_request.status = status
        payment_request.resolved_at = payment_request.expires_at if status == PaymentRequest.Status.EXPIRED else at
        payment_request.resolution_idempotency_key = key
        payment_request.transaction = paid_by
    PaymentRequest.objects.bulk_update(
        payment_requests, ["status", "resolved_at", "resolution_idempotency_key", "transaction"]
    )
    event_type = f"payment_request.{status.lower()}"
    _emit(payment_requests, event_type, at=at)


def _emit(payment_requests: list[PaymentRequest], event_type: str, *, at: datetime) -> None:
    """One outbox event per request, in the caller's transaction; the in-process consumers run after its commit."""
    events = OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(event_type=event_type, payment_request=request, payload=event_payload(request), created_at=at)
            for request in payment_requests
        ]
    )
    dispatch_after_commit(events)


def event_payload(payment_request: PaymentRequest) -> dict:
    """The catalogue's fields of a payment_request.* event (docs/EVENTS.md)."""
    places = settings.WALLET_CURRENCY_DECIMALS

    def moment(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "schema_version": 1,
        "payment_request_id": payment_request.pk,
        "status": payment_request.status,
        "amount": f"{payment_request.amount:.{places}f}",
        "currency": payment_request.currency,
        "note": payment_request.note or None,
        "requester_id": payment_request.requester_id,
        "requester_wallet_id": payment_request.requester.wallet.pk,
        "payer_id": payment_request.payer_id,
        "payer_wallet_id": payment_request.payer.wallet.pk,
        "transaction_id": payment_request.transaction_id,
        "created_at": moment(payment_request.created_at),
        "expires_at": moment(payment_request.expires_at),
        "resolved_at": moment(payment_request.resolved_at),
    }


def _earlier_request(requester: User, idempotency_key: str, request_fingerprint: str) -> PaymentRequest | None:
    earlier = (
        PaymentRequest.objects.select_related("requester", "payer")
        .filter(requester=requester, idempotency_key=idempotency_key)
        .first()
    )
    if earlier is not None and earlier.request_fingerprint != request_fingerprint:
        raise WalletError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was already used for a different request; use a new key.",
            field="idempotency_key",
        )
    return earlier


# The engine bounds its own waits (wallet/services/posting.py); an approval, decline or cancel first waits for the
# request's row, which is bounded the same way: a wait that runs out is the retryable RETRY_LATER, not a hung call.
_BOUNDS = "SELECT set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true)"


def _bound_lock_waits() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            _BOUNDS, [str(int(settings.WALLET_LOCK_TIMEOUT_MS)), str(int(settings.WALLET_STATEMENT_TIMEOUT_MS))]
        )
