"""Standing orders: transfers the owner schedules once or on a repeat, which the scheduler pays when due.

Each occurrence is a movement posted by the engine (wallet/services/posting.py) like any transfer, as a request
of the owner under a key derived from the order and the occurrence's number (`occurrence_key`). The key starts
with SERVICE_KEY_PREFIX, which the API refuses in client keys, so it can never collide with a key of the owner's
own in the same per-initiator key space.

`standing_orders_run_due(now=)` is one pass of the scheduler. It claims one due order at a time with
SELECT ... FOR UPDATE SKIP LOCKED, and in that one database transaction posts the occurrence, records it and moves
the order to its next occurrence. Two schedulers therefore never run the same occurrence, and a scheduler killed
mid-way leaves either all of that or none of it. Should a movement ever commit without its record (the engine's
transaction is a savepoint of ours, so it cannot), the next pass posts the same key again and the engine replays
the stored movement instead of paying twice.

Timing rules, in the order's lifetime:
- Occurrence n is due at `occurrence_due_at(n)`, computed from the first run (never from the previous occurrence,
  so a monthly order on the 31st comes back to the 31st after a short month). Calendar arithmetic is done in the
  server's TIME_ZONE, at the first run's wall-clock time.
- Catch-up: after the scheduler was down, every missed occurrence runs, once each, oldest first (what banks do
  with missed standing orders). Each has its own key, so a catch-up interrupted and rerun pays nothing twice.
- Pausing stops occurrences from running. Resuming skips every occurrence that fell due before the resume: they
  are not run late and not recorded, so the occurrences' numbers leave a gap. They still count toward
  `max_occurrences`, so an order ends on the same date whether or not it was paused.
- A refused occurrence (insufficient funds, daily limit, a receiver gone) is recorded FAILED with its code, and
  the order goes on to the next one.
- The order is COMPLETED when its next occurrence would pass `max_occurrences` or fall after `ends_at`.
"""

import logging
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wallet import selectors
from wallet.errors import FAILURE_MESSAGES, ErrorCode, RetryableError, WalletError
from wallet.models import StandingOrder, StandingOrderOccurrence, Transaction, User
from wallet.money import to_minor_units
from wallet.services.ledger import MovementResult, movement
from wallet.services.posting import Tags, Transfer, fingerprint
from wallet.validation import (
    SERVICE_KEY_PREFIX,
    clean_amount,
    clean_idempotency_key,
    clean_note,
    clean_username_reference,
    normalize_mobile_number,
)

logger = logging.getLogger(__name__)

OCCURRENCE_KEY_PREFIX = f"{SERVICE_KEY_PREFIX}standing-order:"
# At most this many ACTIVE or PAUSED standing orders per owner.
MAX_OPEN_STANDING_ORDERS = 50
# A first run this far in the past is still accepted (clock skew, a slow form): it runs at the next pass.
FIRST_RUN_TOLERANCE = timedelta(minutes=5)
MAX_OCCURRENCES_LIMIT = 10_000
# One pass runs at most this many occurrences, so that a long catch-up does not hold up the pass's other steps.
RUN_BATCH = 500

Repeat = StandingOrder.Repeat
Status = StandingOrder.Status
OPEN_STATUSES = (Status.ACTIVE, Status.PAUSED)


def occurrence_key(order_id: int, number: int) -> str:
    """The engine's idempotency key of an occurrence: the same for every attempt to run it, by any scheduler."""
    return f"{OCCURRENCE_KEY_PREFIX}{order_id}:{number}"


def occurrence_due_at(
    *, first_run_at: datetime, repeat: str, day_of_month: int | None, number: int, tz: str | None = None
) -> datetime:
    """When occurrence `number` (1 is the first run) of a series falls due. A pure function.

    DAILY and WEEKLY add days or weeks to the first run's wall-clock time. MONTHLY puts occurrence 2 onward in
    the following months on `day_of_month` (the first run's day when None), or on the month's last day when it has
    no such day: the 31st runs on the 30th in a 30-day month and on Feb 28 or 29. NONE has only occurrence 1.
    """
    if number < 1:
        raise ValueError("occurrence numbers start at 1")
    if number == 1:
        return first_run_at
    if repeat == Repeat.NONE:
        raise ValueError("a one-off order has only occurrence 1")
    local = first_run_at.astimezone(zoneinfo.ZoneInfo(tz or settings.TIME_ZONE))
    steps = number - 1
    if repeat == Repeat.DAILY:
        due = local + relativedelta(days=steps)
    elif repeat == Repeat.WEEKLY:
        due = local + relativedelta(weeks=steps)
    elif repeat == Repeat.MONTHLY:
        # relativedelta's absolute `day` is clamped to the target month's length.
        due = local + relativedelta(months=steps, day=day_of_month or local.day)
    else:
        raise ValueError(f"unknown repeat {repeat!r}")
    # Arithmetic on a zoneinfo time keeps its wall-clock time; the UTC offset is the new date's (DST).
    return due


def _is_past_end(order: StandingOrder, number: int, due_at: datetime) -> bool:
    if order.max_occurrences is not None and number > order.max_occurrences:
        return True
    return order.ends_at is not None and due_at > order.ends_at


def _due_at(order: StandingOrder, number: int) -> datetime | None:
    """Occurrence `number`'s due time, or None when the order ends before it."""
    if number > 1 and order.repeat == Repeat.NONE:
        return None  # (occurrence_due_at has no such occurrence)
    due = occurrence_due_at(
        first_run_at=order.first_run_at, repeat=order.repeat, day_of_month=order.day_of_month, number=number
    )
    return None if _is_past_end(order, number, due) else due


def _move_to(order: StandingOrder, number: int) -> None:
    """Makes `number` the order's next occurrence, or completes the order when it ends before it."""
    due = _due_at(order, number)
    order.next_number = number
    if due is None:
        order.status, order.next_run_at = Status.COMPLETED, None
    else:
        order.next_run_at = due


# --- the owner's side --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledOrder:
    standing_order: StandingOrder
    replayed: bool


def standing_order_create(
    *,
    owner: User,
    amount: Decimal,
    first_run_at: datetime,
    repeat: str,
    idempotency_key: str,
    receiver_username: str | None = None,
    mobile_number: str | None = None,
    note: str | None = None,
    day_of_month: int | None = None,
    ends_at: datetime | None = None,
    max_occurrences: int | None = None,
    now: datetime | None = None,
) -> ScheduledOrder:
    """Schedules a transfer to a user named by username or mobile number. The same key again returns the order it
    created (replayed); with other parameters it is refused."""
    now = now or timezone.now()
    idempotency_key = clean_idempotency_key(idempotency_key)
    amount, note = clean_amount(amount), clean_note(note)
    if repeat not in Repeat.values:
        raise WalletError(ErrorCode.INVALID_INPUT, "Repeat NONE, DAILY, WEEKLY or MONTHLY.", field="repeat")
    if (receiver_username is None) == (mobile_number is None):
        raise WalletError(ErrorCode.INVALID_INPUT, "Name the receiver by username or by mobile number, not both.")
    if receiver_username is not None:
        field_name, reference = "receiver_username", clean_username_reference(receiver_username).lower()
    else:
        field_name, reference = "mobile_number", normalize_mobile_number(mobile_number)
    first_run_at, ends_at = _aware(first_run_at), _aware(ends_at) if ends_at is not None else None
    if day_of_month is not None and repeat != Repeat.MONTHLY:
        raise WalletError(ErrorCode.INVALID_INPUT, "dayOfMonth goes with a MONTHLY repeat only.", field="day_of_month")
    if day_of_month is not None and not 1 <= day_of_month <= 31:
        raise WalletError(ErrorCode.INVALID_INPUT, "dayOfMonth runs from 1 to 31.", field="day_of_month")
    if repeat == Repeat.MONTHLY and day_of_month is None:
        day_of_month = first_run_at.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).day
    if ends_at is not None and ends_at <= first_run_at:
        raise WalletError(ErrorCode.INVALID_INPUT, "endsAt must be after firstRunAt.", field="ends_at")
    if max_occurrences is not None and not 1 <= max_occurrences <= MAX_OCCURRENCES_LIMIT:
        raise WalletError(
            ErrorCode.INVALID_INPUT,
            f"maxOccurrences runs from 1 to {MAX_OCCURRENCES_LIMIT}.",
            field="max_occurrences",
        )
    request_fingerprint = fingerprint(
        "standing_order",
        field_name,
        reference,
        to_minor_units(amount),
        note,
        repeat,
        day_of_month,
        first_run_at.isoformat(),
        ends_at.isoformat() if ends_at else None,
        max_occurrences,
    )
    with transaction.atomic():
        # The owner's row, locked against concurrent creations (for the key and the limit). NO KEY UPDATE does not
        # block the movements that reference the owner.
        User.objects.select_for_update(no_key=True).filter(pk=owner.pk).first()
        earlier = StandingOrder.objects.filter(owner=owner, idempotency_key=idempotency_key).first()
        if earlier is not None:
            if earlier.request_fingerprint != request_fingerprint:
                raise WalletError(
                    ErrorCode.IDEMPOTENCY_KEY_REUSED,
                    "This idempotency key already scheduled a different standing order; use a new key.",
                    field="idempotency_key",
                )
            return ScheduledOrder(standing_order=earlier, replayed=True)
        if first_run_at < now - FIRST_RUN_TOLERANCE:
            raise WalletError(ErrorCode.INVALID_INPUT, "firstRunAt cannot be in the past.", field="first_run_at")
        receiver = (
            selectors.active_user_by_username(reference)
            if field_name == "receiver_username"
            else selectors.active_user_by_mobile_number(reference)
        )
        if receiver is None:
            code = ErrorCode.RECEIVER_NOT_FOUND
            raise WalletError(code, FAILURE_MESSAGES[code], field=field_name)
        if receiver.pk == owner.pk:
            code = ErrorCode.SELF_TRANSFER
            raise WalletError(code, FAILURE_MESSAGES[code], field=field_name)
        if StandingOrder.objects.filter(owner=owner, status__in=OPEN_STATUSES).count() >= MAX_OPEN_STANDING_ORDERS:
            raise WalletError(
                ErrorCode.INVALID_INPUT,
                f"You can have at most {MAX_OPEN_STANDING_ORDERS} active or paused standing orders; cancel one first.",
            )
        order = StandingOrder.objects.create(
            owner=owner,
            receiver=receiver,
            receiver_mobile_number=reference if field_name == "mobile_number" else "",
            amount=amount,
            currency=owner.wallet.currency,
            note=note,
            repeat=repeat,
            day_of_month=day_of_month,
            first_run_at=first_run_at,
            ends_at=ends_at,
            max_occurrences=max_occurrences,
            status=Status.ACTIVE,
            next_number=1,
            next_run_at=first_run_at,
            idempotency_key=idempotency_key,
            request_fingerprint=request_fingerprint,
            created_at=now,
            updated_at=now,
        )
    return ScheduledOrder(standing_order=order, replayed=False)


def standing_order_pause(*, owner: User, standing_order_id: int | None, idempotency_key: str) -> StandingOrder:
    """Stops an active order's occurrences from running until it is resumed. Pausing a paused order changes
    nothing, so a retry is harmless."""
    return _change(owner, standing_order_id, idempotency_key, _pause)


def standing_order_resume(
    *, owner: User, standing_order_id: int | None, idempotency_key: str, now: datetime | None = None
) -> StandingOrder:
    """Runs a paused order again from its next occurrence due at or after now: the ones that fell due while it was
    paused are skipped. Resuming an active order changes nothing."""
    return _change(owner, standing_order_id, idempotency_key, lambda order: _resume(order, now or timezone.now()))


def standing_order_cancel(*, owner: User, standing_order_id: int | None, idempotency_key: str) -> StandingOrder:
    """Ends an active or paused order for good. Cancelling a cancelled order changes nothing."""
    return _change(owner, standing_order_id, idempotency_key, _cancel)


def _pause(order: StandingOrder) -> bool:
    if order.status == Status.PAUSED:
        return False
    _refuse_unless(order, Status.ACTIVE, "pause")
    order.status = Status.PAUSED
    return True


def _resume(order: StandingOrder, now: datetime) -> bool:
    if order.status == Status.ACTIVE:
        return False
    _refuse_unless(order, Status.PAUSED, "resume")
    order.status = Status.ACTIVE
    number = order.next_number
    while order.status == Status.ACTIVE and order.next_run_at < now:
        number += 1
        _move_to(order, number)
    return True


def _cancel(order: StandingOrder) -> bool:
    if order.status == Status.CANCELLED:
        return False
    _refuse_unless(order, OPEN_STATUSES, "cancel")
    order.status, order.next_run_at = Status.CANCELLED, None
    return True


def _refuse_unless(order: StandingOrder, allowed, action: str) -> None:
    allowed = (allowed,) if isinstance(allowed, str) else allowed
    if order.status not in allowed:
        raise WalletError(
            ErrorCode.INVALID_INPUT, f"A {order.status.lower()} standing order cannot {action}.", field="id"
        )


def _change(owner: User, standing_order_id: int | None, idempotency_key: str, apply) -> StandingOrder:
    clean_idempotency_key(idempotency_key)
    with transaction.atomic():
        # Waits for a scheduler running this order's occurrence: the change applies after it.
        order = None
        if standing_order_id is not None:
            order = (
                StandingOrder.objects.select_for_update(of=("self",))
                .select_related("receiver")
                .filter(owner=owner, pk=standing_order_id)
                .first()
            )
        if order is None:
            raise WalletError(ErrorCode.STANDING_ORDER_NOT_FOUND, "No such standing order of yours.", field="id")
        if apply(order):
            order.updated_at = timezone.now()
            order.save(update_fields=["status", "next_number", "next_run_at", "updated_at"])
    return order


def _aware(moment: datetime) -> datetime:
    # A moment without an offset is read in the server's TIME_ZONE, as balanceAt reads one.
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


# --- the scheduler's side ----------------------------------------------------------------------------------------


@dataclass
class DueRun:
    """What one pass did: occurrences that moved money, occurrences recorded FAILED, orders left for the next pass
    because their wallets were busy."""

    succeeded: int = 0
    failed: int = 0
    busy: set[int] = field(default_factory=set)

    def __str__(self) -> str:
        return f"{self.succeeded} paid, {self.failed} failed, {len(self.busy)} busy"


def standing_orders_run_due(*, now: datetime, limit: int = RUN_BATCH) -> DueRun:
    """Runs the occurrences due at `now` (the scheduler passes the real time; tests pass the time they want), each
    in a database transaction of its own, oldest due first, missed ones included."""
    run = DueRun()
    for _ in range(limit):
        try:
            occurrence = _run_next_due(now=now, skip=run.busy)
        except _Busy as busy:
            run.busy.add(busy.order_id)
            continue
        if occurrence is None:
            break
        if occurrence.status == Transaction.Status.SUCCESS:
            run.succeeded += 1
        else:
            run.failed += 1
    return run


class _Busy(Exception):
    def __init__(self, order_id: int) -> None:
        self.order_id = order_id


def _run_next_due(*, now: datetime, skip: set[int]) -> StandingOrderOccurrence | None:
    with transaction.atomic():
        order = (
            StandingOrder.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("owner__wallet", "receiver")
            .filter(status=Status.ACTIVE, next_run_at__lte=now)
            .exclude(pk__in=skip)
            .order_by("next_run_at", "pk")
            .first()
        )
        if order is None:
            return None
        try:
            return occurrence_run(order=order, now=now)
        except RetryableError as error:
            # Its wallets stayed locked too long (nothing was posted): the next pass tries again.
            logger.warning(
                "standing order %s: occurrence %s left for the next pass: %s", order.pk, order.next_number, error
            )
            raise _Busy(order.pk) from error


def occurrence_run(*, order: StandingOrder, now: datetime) -> StandingOrderOccurrence:
    """Pays the locked order's next occurrence, records it and moves the order on; call inside the transaction
    that locked the order."""
    number, due_at = order.next_number, order.next_run_at
    try:
        result = occurrence_pay(order=order, number=number)
        movement_, error = result.transaction, result.error
    except WalletError as refused:  # refused by the engine outright: nothing in the ledger
        movement_, error = None, refused
    occurrence = occurrence_record(
        order=order, number=number, due_at=due_at, ran_at=now, movement=movement_, error=error
    )
    _move_to(order, number + 1)
    order.updated_at = now
    order.save(update_fields=["status", "next_number", "next_run_at", "updated_at"])
    return occurrence


def occurrence_pay(*, order: StandingOrder, number: int) -> MovementResult:
    """Posts occurrence `number` as the owner's transfer (or mobile payment) to the order's receiver. Posting it
    again replays the same movement."""
    kind = Transaction.Kind.PAY_BY_MOBILE if order.receiver_mobile_number else Transaction.Kind.TRANSFER
    # The receiver chosen when scheduling, by username: a mobile number that later moves to someone else does not
    # redirect the order.
    receiver = order.receiver.username.lower()
    tags = Tags(metadata={"standingOrder": str(order.pk), "occurrence": str(number)})
    return movement(
        initiator=order.owner,
        idempotency_key=occurrence_key(order.pk, number),
        request_fingerprint=fingerprint(kind, to_minor_units(order.amount), receiver, order.note),
        transfer=Transfer(
            kind=kind, amount=order.amount, debit=order.owner.wallet.pk, note=order.note, credit_username=receiver
        ),
        tags=tags,
    )


def occurrence_record(
    *,
    order: StandingOrder,
    number: int,
    due_at: datetime,
    ran_at: datetime,
    movement: Transaction | None,
    error: WalletError | None,
) -> StandingOrderOccurrence:
    # (standing_order, number) is unique: were it recorded already, this fails and the whole transaction, the
    # movement included, rolls back.
    return StandingOrderOccurrence.objects.create(
        standing_order=order,
        number=number,
        due_at=due_at,
        ran_at=ran_at,
        status=Transaction.Status.FAILED if error else Transaction.Status.SUCCESS,
        failure_code=error.code.value if error else "",
        transaction=movement,
    )
