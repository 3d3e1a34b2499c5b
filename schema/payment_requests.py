"""Payment requests (request-to-pay): ask someone for money, and answer what others ask of you.

The payer approves (a transfer to the requester) or declines; the requester may cancel. The services
(wallet/services/payment_requests.py) decide; these resolvers check the viewer, call one, and shape the payload.
"""

from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from schema import throttle
from schema.errors import UserError, user_error
from schema.ids import payment_request_pk
from schema.pagination import Connection
from schema.permissions import MOVES_MONEY, READS, viewer
from schema.types import TransactionNode
from wallet import models, selectors
from wallet.errors import WalletError
from wallet.services import payment_requests as services

PaymentRequestStatus = strawberry.enum(
    models.PaymentRequest.Status,
    name="PaymentRequestStatus",
    description="PENDING until paid, declined, cancelled or expired; a PENDING request past its expiry "
    "reads EXPIRED at once.",
)


@strawberry.enum(description="INCOMING: requests the viewer is asked to pay. OUTGOING: requests the viewer made.")
class PaymentRequestRole(Enum):
    INCOMING = "INCOMING"
    OUTGOING = "OUTGOING"


@strawberry.type(name="PaymentRequest", description="A request by `requester` that `payer` pay an amount.")
class PaymentRequestNode(relay.Node):
    amount: Decimal
    currency: str
    created_at: datetime
    expires_at: datetime

    @classmethod
    def resolve_id(cls, root, *, info) -> str:
        return str(root.pk)

    @classmethod
    def is_type_of(cls, obj, info) -> bool:
        return isinstance(obj, (cls, models.PaymentRequest))

    @strawberry.field
    def note(self) -> str | None:
        return self.note or None

    @strawberry.field(description="As every reader sees it now: past its expiry, a PENDING request is EXPIRED.")
    def status(self) -> PaymentRequestStatus:
        return PaymentRequestStatus(selectors.payment_request_status(payment_request=self))

    @strawberry.field(description="The username of who asked.")
    def requester(self) -> str:
        return self.requester.username

    @strawberry.field(description="The username of who is asked to pay.")
    def payer(self) -> str:
        return self.payer.username

    @strawberry.field(description="When it stopped being PENDING (an expired one: its expiry).")
    def resolved_at(self) -> datetime | None:
        return selectors.payment_request_resolved_at(payment_request=self)

    @strawberry.field(description="The transfer that paid it, once PAID.")
    def transaction(self, info: Info) -> TransactionNode | None:
        if self.transaction_id is None:
            return None
        return selectors.transaction_for_user(user=viewer(info), transaction_id=self.transaction_id)


@strawberry.input(description="Name the payer by payerUsername or by mobileNumber.")
class RequestPaymentInput:
    payer_username: str | None = None
    mobile_number: str | None = strawberry.field(default=None, description="A registered user's number.")
    amount: Decimal
    note: str | None = None
    expires_in_seconds: int = strawberry.field(description="60 seconds to 30 days.")
    idempotency_key: str = strawberry.field(description="1-255 characters, unique per user; reuse it only to retry.")


@strawberry.input
class ApprovePaymentRequestInput:
    id: strawberry.ID
    idempotency_key: str = strawberry.field(description="The key of the transfer that pays it.")


@strawberry.input
class DeclinePaymentRequestInput:
    id: strawberry.ID
    idempotency_key: str


@strawberry.input
class CancelPaymentRequestInput:
    id: strawberry.ID
    idempotency_key: str


@strawberry.type
class RequestPaymentPayload:
    payment_request: PaymentRequestNode | None = None
    replayed: bool = strawberry.field(
        default=False, description="True when this idempotency key made the request before and nothing was created now."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(
    description="A refused transfer (funds, daily limit) is a FAILED transaction plus errors, and the "
    "request stays PENDING."
)
class ApprovePaymentRequestPayload:
    payment_request: PaymentRequestNode | None = None
    transaction: TransactionNode | None = None
    replayed: bool = strawberry.field(
        default=False, description="True when this idempotency key approved it before and nothing moved now."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeclinePaymentRequestPayload:
    payment_request: PaymentRequestNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CancelPaymentRequestPayload:
    payment_request: PaymentRequestNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PaymentRequestQueries:
    @strawberry.field(
        permission_classes=READS,
        description="Requests the viewer is asked to pay (INCOMING) or made (OUTGOING), newest first, optionally of "
        "one status. `first` defaults to 20 and is capped at 100.",
    )
    def payment_requests(
        self,
        info: Info,
        role: PaymentRequestRole,
        status: PaymentRequestStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[PaymentRequestNode]:
        queryset = selectors.payment_requests_for_user(
            user=viewer(info), role=role.value, status=status.value if status else None
        )
        return Connection.page(queryset, first=first, after=after)


@strawberry.type
class PaymentRequestMutations:
    @strawberry.mutation(
        permission_classes=MOVES_MONEY,
        description="Ask a user, by username or mobile number, to pay you an amount before the request expires.",
    )
    def request_payment(self, info: Info, input: RequestPaymentInput) -> RequestPaymentPayload:
        user = viewer(info)
        try:
            throttle.check_payment_request(info.context.request, user=user)
            if input.mobile_number is not None:
                # A request by number tells whether the number is registered, as a payment by number does.
                throttle.check_mobile_lookup(info.context.request, user=user)
            result = services.payment_request_create(
                requester=user,
                payer_username=input.payer_username,
                mobile_number=input.mobile_number,
                amount=input.amount,
                note=input.note,
                expires_in_seconds=input.expires_in_seconds,
                idempotency_key=input.idempotency_key,
            )
        except WalletError as exc:
            return RequestPaymentPayload(errors=[user_error(exc)])
        return RequestPaymentPayload(payment_request=result.payment_request, replayed=result.replayed)

    @strawberry.mutation(
        permission_classes=MOVES_MONEY,
        description="Pay a request addressed to you: a transfer of its amount to the requester, once.",
    )
    def approve_payment_request(self, info: Info, input: ApprovePaymentRequestInput) -> ApprovePaymentRequestPayload:
        try:
            result = services.payment_request_approve(
                payer=viewer(info),
                payment_request_id=payment_request_pk(input.id),
                idempotency_key=input.idempotency_key,
            )
        except WalletError as exc:
            return ApprovePaymentRequestPayload(errors=[user_error(exc)])
        error = result.error
        return ApprovePaymentRequestPayload(
            payment_request=result.payment_request,
            transaction=result.transaction,
            replayed=result.replayed,
            errors=[user_error(error)] if error else [],
        )

    @strawberry.mutation(permission_classes=MOVES_MONEY, description="Turn down a request addressed to you.")
    def decline_payment_request(self, info: Info, input: DeclinePaymentRequestInput) -> DeclinePaymentRequestPayload:
        try:
            payment_request = services.payment_request_decline(
                payer=viewer(info),
                payment_request_id=payment_request_pk(input.id),
                idempotency_key=input.idempotency_key,
            )
        except WalletError as exc:
            return DeclinePaymentRequestPayload(errors=[user_error(exc)])
        return DeclinePaymentRequestPayload(payment_request=payment_request)

    @strawberry.mutation(permission_classes=MOVES_MONEY, description="Withdraw a request you made.")
    def cancel_payment_request(self, info: Info, input: CancelPaymentRequestInput) -> CancelPaymentRequestPayload:
        try:
            payment_request = services.payment_request_cancel(
                requester=viewer(info),
                payment_request_id=payment_request_pk(input.id),
                idempotency_key=input.idempotency_key,
            )
        except WalletError as exc:
            return CancelPaymentRequestPayload(errors=[user_error(exc)])
        return CancelPaymentRequestPayload(payment_request=payment_request)
