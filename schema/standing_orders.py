"""Standing orders (scheduled and recurring transfers) for their owner: schedule, list, pause, resume, cancel. The
scheduler (`manage.py run_scheduler`) pays the occurrences; see wallet/services/standing_orders.py."""

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry import relay
from strawberry.types import Info

from schema import throttle
from schema.errors import ErrorCode, UserError, user_error
from schema.ids import parse_global_id
from schema.pagination import Connection
from schema.permissions import MOVES_MONEY, READS, viewer
from schema.types import TransactionNode, TransactionStatus
from wallet import models, selectors
from wallet.errors import WalletError
from wallet.services import standing_orders as services

TransferRepeat = strawberry.enum(
    models.StandingOrder.Repeat,
    name="TransferRepeat",
    description="How often a standing order runs: once, or every day, week or month.",
)


StandingOrderStatus = strawberry.enum(
    models.StandingOrder.Status,
    name="StandingOrderStatus",
    description="ACTIVE runs when due; PAUSED does not (resuming skips what fell due meanwhile); CANCELLED and "
    "COMPLETED (its end date or count reached) are over.",
)


@strawberry.type(description="An occurrence the scheduler ran: the movement it posted, or why it was refused.")
class StandingOrderOccurrence:
    number: int = strawberry.field(
        description="Its place in the order's series (1 is the first run); occurrences skipped by a pause leave gaps."
    )
    due_at: datetime
    ran_at: datetime
    status: TransactionStatus = strawberry.field(description="SUCCESS moved money; FAILED was refused.")

    @strawberry.field(description="Why it was refused (e.g. INSUFFICIENT_FUNDS), when FAILED.")
    def failure_code(self) -> ErrorCode | None:
        return ErrorCode(self.failure_code) if self.failure_code else None

    @strawberry.field(description="The movement it posted (a FAILED one too); null if nothing was recorded.")
    def transaction(self) -> TransactionNode | None:
        return self.transaction

    @classmethod
    def is_type_of(cls, obj, info) -> bool:
        return isinstance(obj, (cls, models.StandingOrderOccurrence))


# Like Transaction, a plain Strawberry type over the model: its fields read the model's attributes.
@strawberry.type(name="StandingOrder", description="A scheduled transfer, run once or on a repeat.")
class StandingOrderNode(relay.Node):
    amount: Decimal
    currency: str
    note: str
    repeat: TransferRepeat
    day_of_month: int | None = strawberry.field(description="MONTHLY: the day of month it runs on after the first.")
    first_run_at: datetime
    ends_at: datetime | None = strawberry.field(description="No occurrence falls due after this.")
    max_occurrences: int | None = strawberry.field(description="The number of occurrences in the series.")
    status: StandingOrderStatus
    next_run_at: datetime | None = strawberry.field(description="When the next occurrence is due; null once over.")
    created_at: datetime

    @classmethod
    def resolve_id(cls, root, *, info) -> str:
        return str(root.pk)

    @classmethod
    def is_type_of(cls, obj, info) -> bool:
        return isinstance(obj, (cls, models.StandingOrder))

    @strawberry.field(description="The receiver's username.")
    def receiver(self) -> str:
        return self.receiver.username

    @strawberry.field(description="The mobile number the receiver was named by, if it was.")
    def receiver_mobile_number(self) -> str | None:
        return self.receiver_mobile_number or None

    @strawberry.field(description="The occurrences run so far, newest first.")
    def occurrences(self, first: int | None = None, after: str | None = None) -> Connection[StandingOrderOccurrence]:
        return Connection.page(selectors.standing_order_occurrences(standing_order=self), first=first, after=after)


@strawberry.input
class ScheduleTransferInput:
    receiver_username: str | None = strawberry.field(default=None, description="Give this or mobileNumber.")
    mobile_number: str | None = strawberry.field(default=None, description="A registered user's number.")
    amount: Decimal
    note: str | None = None
    first_run_at: datetime = strawberry.field(description="When the first occurrence is due; not in the past.")
    repeat: TransferRepeat
    day_of_month: int | None = strawberry.field(
        default=None,
        description="MONTHLY only, 1-31 (default: firstRunAt's day); a month without that day runs on its last day.",
    )
    ends_at: datetime | None = strawberry.field(default=None, description="After firstRunAt; optional.")
    max_occurrences: int | None = strawberry.field(default=None, description="At least 1; optional.")
    idempotency_key: str = strawberry.field(description="1-255 characters; the same key again returns the order.")


@strawberry.type
class ScheduleTransferPayload:
    standing_order: StandingOrderNode | None = None
    replayed: bool = strawberry.field(default=False, description="True when this key scheduled the order before.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class PauseStandingOrderInput:
    id: strawberry.ID
    idempotency_key: str


@strawberry.input
class ResumeStandingOrderInput:
    id: strawberry.ID
    idempotency_key: str


@strawberry.input
class CancelStandingOrderInput:
    id: strawberry.ID
    idempotency_key: str


@strawberry.type
class PauseStandingOrderPayload:
    standing_order: StandingOrderNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ResumeStandingOrderPayload:
    standing_order: StandingOrderNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CancelStandingOrderPayload:
    standing_order: StandingOrderNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def standing_order_pk(value: str) -> int | None:
    """The pk of a StandingOrder global ID; None when the ID names no standing order."""
    parsed = parse_global_id(value)
    return parsed[1] if parsed is not None and parsed[0] == "StandingOrder" else None


@strawberry.type
class StandingOrderQueries:
    @strawberry.field(
        permission_classes=READS,
        description="The viewer's standing orders, newest first. `first` defaults to 20 and is capped at 100.",
    )
    def standing_orders(
        self,
        info: Info,
        status: StandingOrderStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[StandingOrderNode]:
        queryset = selectors.standing_orders_for(owner=viewer(info), status=status.value if status else None)
        return Connection.page(queryset, first=first, after=after)


def _change(payload_type, info: Info, service, input) -> object:
    try:
        order = service(
            owner=viewer(info), standing_order_id=standing_order_pk(input.id), idempotency_key=input.idempotency_key
        )
    except WalletError as exc:
        return payload_type(errors=[user_error(exc)])
    return payload_type(standing_order=order)


@strawberry.type
class StandingOrderMutations:
    @strawberry.mutation(
        permission_classes=MOVES_MONEY,
        description="Schedule a transfer to a user (by username or mobile number), once or on a repeat.",
    )
    def schedule_transfer(self, info: Info, input: ScheduleTransferInput) -> ScheduleTransferPayload:
        user = viewer(info)
        try:
            if input.mobile_number is not None:
                # Scheduling by number reveals whether it is registered, as paying by it does.
                throttle.check_mobile_lookup(info.context.request, user=user)
            scheduled = services.standing_order_create(
                owner=user,
                receiver_username=input.receiver_username,
                mobile_number=input.mobile_number,
                amount=input.amount,
                note=input.note,
                first_run_at=input.first_run_at,
                repeat=input.repeat.value,
                day_of_month=input.day_of_month,
                ends_at=input.ends_at,
                max_occurrences=input.max_occurrences,
                idempotency_key=input.idempotency_key,
            )
        except WalletError as exc:
            return ScheduleTransferPayload(errors=[user_error(exc)])
        return ScheduleTransferPayload(standing_order=scheduled.standing_order, replayed=scheduled.replayed)

    @strawberry.mutation(permission_classes=MOVES_MONEY, description="Stop an active standing order until resumed.")
    def pause_standing_order(self, info: Info, input: PauseStandingOrderInput) -> PauseStandingOrderPayload:
        return _change(PauseStandingOrderPayload, info, services.standing_order_pause, input)

    @strawberry.mutation(
        permission_classes=MOVES_MONEY,
        description="Run a paused standing order again; occurrences that fell due while paused are skipped.",
    )
    def resume_standing_order(self, info: Info, input: ResumeStandingOrderInput) -> ResumeStandingOrderPayload:
        return _change(ResumeStandingOrderPayload, info, services.standing_order_resume, input)

    @strawberry.mutation(permission_classes=MOVES_MONEY, description="End a standing order for good.")
    def cancel_standing_order(self, info: Info, input: CancelStandingOrderInput) -> CancelStandingOrderPayload:
        return _change(CancelStandingOrderPayload, info, services.standing_order_cancel, input)
