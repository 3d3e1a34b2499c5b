"""Staff actions and their audit trail. Every staff action, from the staff API (schema/staff.py) or the Django admin
(wallet/admin.py), runs through `staff_action`: in one database transaction it does the action and writes the
StaffAuditRecord of it (who, what, why, the target, before and after), so a record exists iff the action took effect.

Refusals: an action refused before it changes anything (bad input, no such target, not reversible) raises a
WalletError; its transaction is rolled back and no record is written (the refusal is in the request's log line, by
its request id). An action whose refusal is itself durable, a reversal the engine records FAILED, writes its record
with that outcome in `after`, since the FAILED transaction it leaves must be traceable to the staff member.

Idempotency: each actor's `idempotency_key` names one action. The same key with the same parameters replays the
recorded outcome and does nothing more; with other parameters it is refused (IDEMPOTENCY_KEY_REUSED). Keys the action
passes on (the reversal's in the ledger, the webhook redelivery's) are derived from the record's key with
SERVICE_KEY_PREFIX, so they never meet a customer's own keys.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from server.observability import request_id_var
from wallet import selectors
from wallet.errors import ErrorCode, WalletError
from wallet.models import Receipt, StaffAuditRecord, Transaction, User, Wallet, WalletFreeze, WebhookDelivery
from wallet.services import controls
from wallet.services.ledger import MovementResult, reversal_on_behalf, reversible_check
from wallet.services.posting import failure_error, fingerprint
from wallet.services.receipts import receipts_requeue
from wallet.services.webhooks import delivery_redeliver
from wallet.validation import SERVICE_KEY_PREFIX, clean_idempotency_key

REASON_MIN_LENGTH, REASON_MAX_LENGTH = 3, 500
Action = StaffAuditRecord.Action
Source = StaffAuditRecord.Source


@dataclass(frozen=True)
class StaffChange:
    """What an action did, as `perform` reports it: its target, the state before and after (JSON-ready), and the
    result the caller shows."""

    target_type: str
    target_id: Any
    before: dict
    after: dict
    target_wallet: Wallet | None = None
    result: Any = None


@dataclass(frozen=True)
class StaffOutcome:
    record: StaffAuditRecord
    result: Any
    replayed: bool
    error: WalletError | None = field(default=None)


def clean_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not REASON_MIN_LENGTH <= len(reason) <= REASON_MAX_LENGTH:
        raise WalletError(
            ErrorCode.INVALID_INPUT,
            f"Give a reason of {REASON_MIN_LENGTH} to {REASON_MAX_LENGTH} characters.",
            field="reason",
        )
    return reason


def derived_key(*, actor: User, idempotency_key: str, purpose: str) -> str:
    """The key an action passes on to the service it calls: the service's own, one per (actor, key)."""
    digest = hashlib.sha256(f"{actor.pk}:{idempotency_key}".encode()).hexdigest()[:40]
    return f"{SERVICE_KEY_PREFIX}staff-{purpose}:{digest}"


class _KeyTaken(Exception):
    """Another request of the same actor with the same key committed first: roll this one back and replay that."""


def staff_action(
    *,
    actor: User,
    action: str,
    reason: str,
    idempotency_key: str,
    parameters: list,
    perform: Callable[[], StaffChange],
    replay: Callable[[StaffAuditRecord], Any],
    source: str = Source.API,
) -> StaffOutcome:
    """Runs `perform` and writes its audit record, atomically (inside the caller's transaction, if there is one).

    `parameters` are what the fingerprint covers (with the action and reason); `replay` rebuilds the result of an
    earlier run of the same key from its record."""
    reason = clean_reason(reason)
    key = clean_idempotency_key(idempotency_key)
    request_fingerprint = fingerprint(action, reason, *parameters)
    earlier = _earlier(actor, key, request_fingerprint)
    if earlier is not None:
        return StaffOutcome(record=earlier, result=replay(earlier), replayed=True, error=_recorded_error(earlier))
    try:
        with transaction.atomic():
            change = perform()
            record = StaffAuditRecord(
                actor=actor,
                action=action,
                reason=reason,
                target_wallet=change.target_wallet,
                target_type=change.target_type,
                target_id=str(change.target_id),
                before=change.before,
                after=change.after,
                source=source,
                idempotency_key=key,
                request_fingerprint=request_fingerprint,
                request_id="" if request_id_var.get() == "-" else request_id_var.get(),
            )
            try:
                with transaction.atomic():
                    record.save()
            except IntegrityError as error:
                raise _KeyTaken from error
    except _KeyTaken as taken:
        earlier = _earlier(actor, key, request_fingerprint)
        if earlier is None:  # not the key's constraint: a failure like any other (all was rolled back)
            raise taken.__cause__ from None
        return StaffOutcome(record=earlier, result=replay(earlier), replayed=True, error=_recorded_error(earlier))
    return StaffOutcome(record=record, result=change.result, replayed=False, error=_recorded_error(record))


def _earlier(actor: User, key: str, request_fingerprint: str) -> StaffAuditRecord | None:
    earlier = StaffAuditRecord.objects.filter(actor=actor, idempotency_key=key).first()
    if earlier is not None and earlier.request_fingerprint != request_fingerprint:
        raise WalletError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "This idempotency key was already used for a different staff action; use a new key.",
            field="idempotency_key",
        )
    return earlier


def _recorded_error(record: StaffAuditRecord) -> WalletError | None:
    """The refusal a recorded action ended in (a reversal recorded FAILED), rebuilt the same on every replay."""
    code = record.after.get("failure_code")
    if not code:
        return None
    return failure_error(
        Transaction(status=Transaction.Status.FAILED, failure_code=code, kind=Transaction.Kind.REVERSAL)
    )


# The staff actions built on it.


def staff_transaction_reverse(
    *,
    actor: User,
    transaction_id: int | None,
    amount: Decimal | None,
    reason: str,
    idempotency_key: str,
    source: str = Source.API,
) -> StaffOutcome:
    """Reverses a customer's received transfer or mobile payment, in full or in part, on their behalf: the money
    goes back to its sender from the receiver's wallet, as the receiver's own reversal would. The result is the
    reversal (a Transaction, FAILED when the engine refused it)."""

    def perform() -> StaffChange:
        original = _reversible(transaction_id)
        before = {
            "reversed_amount": str(_reversed(original)),
            "receiver_balance": str(original.receiver_wallet.balance),
        }
        key = derived_key(actor=actor, idempotency_key=idempotency_key, purpose="reversal")
        moved: MovementResult = reversal_on_behalf(original=original, amount=amount, idempotency_key=key)
        reversal = moved.transaction
        original.receiver_wallet.refresh_from_db(fields=["balance"])
        after = {
            "reversal_id": reversal.pk,
            "status": reversal.status,
            "amount": str(reversal.amount),
            "failure_code": reversal.failure_code,
            "reversed_amount": str(_reversed(original)),
            "receiver_balance": str(original.receiver_wallet.balance),
        }
        return StaffChange(
            target_type="Transaction",
            target_id=original.pk,
            target_wallet=original.receiver_wallet,
            before=before,
            after=after,
            result=reversal,
        )

    return staff_action(
        actor=actor,
        action=Action.REVERSE_TRANSACTION,
        reason=reason,
        idempotency_key=idempotency_key,
        parameters=[transaction_id, None if amount is None else str(amount)],
        perform=perform,
        replay=lambda record: Transaction.objects.filter(pk=record.after.get("reversal_id")).first(),
        source=source,
    )


def staff_webhook_resend(
    *, actor: User, delivery_id: int | None, reason: str, idempotency_key: str, source: str = Source.API
) -> StaffOutcome:
    """Sends any owner's webhook delivery again (as its owner's redeliverWebhook would). The result is the new
    delivery."""

    def perform() -> StaffChange:
        original = (
            WebhookDelivery.objects.select_related("endpoint__owner__wallet").filter(pk=delivery_id).first()
            if delivery_id is not None
            else None
        )
        if original is None:
            raise WalletError(ErrorCode.INVALID_INPUT, "No such delivery.", field="delivery_id")
        key = derived_key(actor=actor, idempotency_key=idempotency_key, purpose="webhook")
        redelivery = delivery_redeliver(original=original, idempotency_key=key)
        owner_wallet = Wallet.objects.filter(user_id=original.endpoint.owner_id).first()
        return StaffChange(
            target_type="WebhookDelivery",
            target_id=original.pk,
            target_wallet=owner_wallet,
            before={"status": original.status, "attempts": original.attempts},
            after={"redelivery_id": redelivery.pk, "status": redelivery.status, "event_id": str(redelivery.event_id)},
            result=redelivery,
        )

    return staff_action(
        actor=actor,
        action=Action.RESEND_WEBHOOK,
        reason=reason,
        idempotency_key=idempotency_key,
        parameters=[delivery_id],
        perform=perform,
        replay=lambda record: WebhookDelivery.objects.filter(pk=record.after.get("redelivery_id")).first(),
        source=source,
    )


def staff_receipt_resend(
    *, actor: User, transaction_id: int | None, reason: str, idempotency_key: str, source: str = Source.API
) -> StaffOutcome:
    """Queues the rendering of every participant's receipt of a transaction again (those not READY). The result is
    the transaction's receipts."""

    def perform() -> StaffChange:
        txn = Transaction.objects.filter(pk=transaction_id).first() if transaction_id is not None else None
        if txn is None:
            raise WalletError(ErrorCode.TRANSACTION_NOT_FOUND, "No such transaction.", field="transaction_id")
        before = {str(r.wallet_id): r.status for r in Receipt.objects.filter(transaction=txn)}
        receipts = receipts_requeue(transaction_id=txn.pk)
        if not receipts:
            raise WalletError(
                ErrorCode.INVALID_INPUT, "This transaction has no receipts to send.", field="transaction_id"
            )
        return StaffChange(
            target_type="Transaction",
            target_id=txn.pk,
            target_wallet=None,
            before={"receipts": before},
            after={"receipts": {str(r.wallet_id): r.status for r in receipts}},
            result=txn,
        )

    return staff_action(
        actor=actor,
        action=Action.RESEND_RECEIPT,
        reason=reason,
        idempotency_key=idempotency_key,
        parameters=[transaction_id],
        perform=perform,
        replay=lambda record: Transaction.objects.filter(pk=int(record.target_id)).first(),
        source=source,
    )


def _reversible(transaction_id: int | None) -> Transaction:
    original = (
        Transaction.objects.select_related("sender_wallet", "receiver_wallet__user").filter(pk=transaction_id).first()
        if transaction_id is not None
        else None
    )
    if original is None:
        raise WalletError(ErrorCode.TRANSACTION_NOT_FOUND, "No such transaction.", field="transaction_id")
    reversible_check(original)
    return original


def _reversed(original: Transaction) -> Decimal:
    return selectors.reversed_amount(original=original)


# Wallet controls (the engine branch's services, wallet/services/controls.py): freezes, tier and limit overrides.


def staff_wallet_find(*, wallet_id: int | None = None, username: str | None = None) -> Wallet:
    """The customer wallet named by its id or by its owner's username (exactly one of them)."""
    if (wallet_id is None) == (username is None or username == ""):
        raise WalletError(ErrorCode.INVALID_INPUT, "Name the wallet by walletId or by username.", field="wallet_id")
    wallets = Wallet.objects.select_related("user").filter(kind=Wallet.Kind.CUSTOMER)
    if wallet_id is not None:
        wallet = wallets.filter(pk=wallet_id).first()
    else:
        wallet = wallets.filter(user__in=User.objects.with_username(username)).first()
    if wallet is None:
        field_name = "wallet_id" if wallet_id is not None else "username"
        raise WalletError(ErrorCode.INVALID_INPUT, "No customer wallet matches.", field=field_name)
    return wallet


def _wallet_parameters(wallet_id: int | None, username: str | None) -> list:
    return [wallet_id, (username or "").lower() or None]


def staff_wallet_freeze(
    *,
    actor: User,
    wallet_id: int | None = None,
    username: str | None = None,
    scope: str,
    reason_code: str,
    note: str = "",
    reason: str,
    idempotency_key: str,
    source: str = Source.API,
) -> StaffOutcome:
    """Freezes a wallet for debits, credits or both, as staff (only staff can lift it). The result is
    (wallet, freeze)."""

    def perform() -> StaffChange:
        wallet = staff_wallet_find(wallet_id=wallet_id, username=username)
        change = controls.wallet_freeze(
            wallet=wallet, scope=scope, reason_code=reason_code, note=note, by=actor, as_staff=True
        )
        return StaffChange(
            target_type="WalletFreeze",
            target_id=change.freeze.pk,
            target_wallet=change.wallet,
            before=change.before,
            after={**change.after, "freeze": {"scope": scope, "reason_code": reason_code, "note": note or ""}},
            result=(change.wallet, change.freeze),
        )

    return staff_action(
        actor=actor,
        action=Action.FREEZE_WALLET,
        reason=reason,
        idempotency_key=idempotency_key,
        parameters=[*_wallet_parameters(wallet_id, username), scope, reason_code, note or ""],
        perform=perform,
        replay=lambda record: (_wallet_of(record), WalletFreeze.objects.filter(pk=int(record.target_id)).first()),
        source=source,
    )


def staff_wallet_unfreeze(
    *,
    actor: User,
    wallet_id: int | None = None,
    username: str | None = None,
    freeze_id: int | None,
    reason: str,
    idempotency_key: str,
    source: str = Source.API,
) -> StaffOutcome:
    """Lifts any active freeze of a wallet, the owner's or staff's. The result is the wallet."""

    def perform() -> StaffChange:
        wallet = staff_wallet_find(wallet_id=wallet_id, username=username)
        change = controls.wallet_unfreeze(wallet=wallet, freeze_id=freeze_id, by=actor, as_staff=True)
        if change.replayed:  # lifted already, by this actor: nothing to do, so nothing to record
            raise WalletError(ErrorCode.FREEZE_NOT_FOUND, "This freeze was already lifted.", field="freeze_id")
        return StaffChange(
            target_type="WalletFreeze",
            target_id=change.freeze.pk,
            target_wallet=change.wallet,
            before=change.before,
            after=change.after,
            result=change.wallet,
        )

    return staff_action(
        actor=actor,
        action=Action.UNFREEZE_WALLET,
        reason=reason,
        idempotency_key=idempotency_key,
        parameters=[*_wallet_parameters(wallet_id, username), freeze_id],
        perform=perform,
        replay=_wallet_of,
        source=source,
    )


def staff_wallet_set_tier(
    *,
    actor: User,
    wallet_id: int | None = None,
    username: str | None = None,
    tier_code: str,
    reason: str,
    idempotency_key: str,
    source: str = Source.API,
) -> StaffOutcome:
    """Puts a wallet in a tier (its limits apply, unless the wallet overrides them). The result is the wallet."""

    def perform() -> StaffChange:
        wallet = staff_wallet_find(wallet_id=wallet_id, username=username)
        change = controls.wallet_set_tier(wallet=wallet, tier_code=tier_code, by=actor)
        return _wallet_change(change)

    return staff_action(
        actor=actor,
        action=Action.SET_WALLET_TIER,
        reason=reason,
        idempotency_key=idempotency_key,
        parameters=[*_wallet_parameters(wallet_id, username), tier_code],
        perform=perform,
        replay=_wallet_of,
        source=source,
    )


def staff_wallet_set_limits(
    *,
    actor: User,
    wallet_id: int | None = None,
    username: str | None = None,
    overrides: dict,
    reason: str,
    idempotency_key: str,
    source: str = Source.API,
) -> StaffOutcome:
    """Sets a wallet's limit overrides: `overrides` maps daily, monthly, max_balance and per_transaction to an
    amount, or to None to clear the override (the tier's limit applies again); a name left out stays as it is."""
    unknown = set(overrides) - {"daily", "monthly", "max_balance", "per_transaction"}
    if unknown:
        raise ValueError(f"unknown limit overrides: {sorted(unknown)}")

    def perform() -> StaffChange:
        if not overrides:
            raise WalletError(ErrorCode.INVALID_INPUT, "Give at least one limit to set or clear.", field=None)
        wallet = staff_wallet_find(wallet_id=wallet_id, username=username)
        change = controls.wallet_set_limit_overrides(wallet=wallet, by=actor, **overrides)
        return _wallet_change(change)

    return staff_action(
        actor=actor,
        action=Action.SET_WALLET_LIMITS,
        reason=reason,
        idempotency_key=idempotency_key,
        parameters=[
            *_wallet_parameters(wallet_id, username),
            sorted((name, None if value is None else str(value)) for name, value in overrides.items()),
        ],
        perform=perform,
        replay=_wallet_of,
        source=source,
    )


def _wallet_change(change) -> StaffChange:
    return StaffChange(
        target_type="Wallet",
        target_id=change.wallet.pk,
        target_wallet=change.wallet,
        before=change.before,
        after=change.after,
        result=change.wallet,
    )


def _wallet_of(record: StaffAuditRecord) -> Wallet | None:
    return Wallet.objects.select_related("user").filter(pk=record.target_wallet_id).first()
