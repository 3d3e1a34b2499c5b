"""Mutations: check the viewer, call one service, shape the payload. No money logic here."""

from decimal import Decimal

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from schema import throttle
from schema.api_keys import ApiKeyMutations
from schema.controls import ControlMutations
from schema.errors import UserError, user_error, user_errors
from schema.ids import transaction_pk
from schema.payment_requests import PaymentRequestMutations
from schema.permissions import HOLDS, MOVES_MONEY, viewer
from schema.standing_orders import StandingOrderMutations
from schema.types import TransactionNode, UserNode, WalletNode
from schema.webhooks import WebhookMutations
from wallet import selectors, services
from wallet.errors import ValidationFailed, WalletError
from wallet.services import Tags


@strawberry.input
class Tagged:
    """What a client may attach to any movement (returned on Transaction, in events and in webhooks)."""

    reference: str | None = strawberry.field(
        default=None,
        description="Your own id for this movement (an order id): unique among your movements that took effect.",
    )
    metadata: JSON | None = strawberry.field(
        default=None, description="Up to 20 string values of yours, by keys of 1-40 letters, digits or _.:-"
    )

    def tags(self) -> Tags:
        return Tags(reference=self.reference or "", metadata=self.metadata or {})


@strawberry.input
class AddMoneyInput(Tagged):
    amount: Decimal
    idempotency_key: str = strawberry.field(description="1-255 characters, unique per user; reuse it only to retry.")


@strawberry.input
class WithdrawInput(Tagged):
    amount: Decimal
    idempotency_key: str


@strawberry.input
class TransferInput(Tagged):
    receiver_username: str
    amount: Decimal
    idempotency_key: str
    note: str | None = None


@strawberry.input
class PayByMobileInput(Tagged):
    mobile_number: str = strawberry.field(description="A registered user's number; E.164 or national format.")
    amount: Decimal
    idempotency_key: str
    note: str | None = None


@strawberry.input
class ReverseTransactionInput(Tagged):
    transaction_id: strawberry.ID = strawberry.field(description="A transfer or mobile payment you received.")
    amount: Decimal | None = strawberry.field(default=None, description="Omit to return all that is left.")
    idempotency_key: str


@strawberry.input
class TransferBatchItemInput(Tagged):
    receiver_username: str
    amount: Decimal
    note: str | None = None


@strawberry.input
class TransferBatchInput:
    transfers: list[TransferBatchItemInput] = strawberry.field(description="1 to 100 transfers, in order.")
    atomic: bool = strawberry.field(default=True, description="All succeed or none do.")
    idempotency_key: str


@strawberry.input(description="Name the receiver by receiverUsername or by mobileNumber.")
class CreateHoldInput(Tagged):
    receiver_username: str | None = None
    mobile_number: str | None = None
    amount: Decimal
    idempotency_key: str
    expires_in_seconds: int = strawberry.field(description="1 second to 30 days.")
    note: str | None = None


@strawberry.input
class CaptureHoldInput(Tagged):
    hold_id: strawberry.ID
    amount: Decimal | None = strawberry.field(default=None, description="Omit to capture all; the rest is released.")
    idempotency_key: str


@strawberry.input
class VoidHoldInput(Tagged):
    hold_id: strawberry.ID
    idempotency_key: str


@strawberry.input
class RegisterInput:
    username: str
    password: str
    mobile_number: str | None = None


@strawberry.type(description="The outcome of a money movement; a refusal is a FAILED transaction plus errors.")
class MovementPayload:
    transaction: TransactionNode | None = None
    wallet: WalletNode | None = None
    replayed: bool = strawberry.field(
        default=False, description="True when this idempotency key was seen before and nothing moved now."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AddMoneyPayload(MovementPayload):
    pass


@strawberry.type
class TransferPayload(MovementPayload):
    pass


@strawberry.type
class PayByMobilePayload(MovementPayload):
    pass


@strawberry.type
class WithdrawPayload(MovementPayload):
    pass


@strawberry.type
class ReverseTransactionPayload(MovementPayload):
    pass


@strawberry.type
class CreateHoldPayload(MovementPayload):
    pass


@strawberry.type
class CaptureHoldPayload(MovementPayload):
    pass


@strawberry.type
class VoidHoldPayload(MovementPayload):
    pass


@strawberry.type
class TransferBatchPayload:
    transactions: list[TransactionNode] = strawberry.field(
        default_factory=list, description="One per transfer, in the batch's order (FAILED ones included)."
    )
    wallet: WalletNode | None = None
    replayed: bool = False
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="One per refused transfer; field starts with transfers.<index>."
    )


@strawberry.type
class RegisterPayload:
    user: UserNode | None = None
    token: str | None = None
    refresh_token: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TokenAuthPayload:
    token: str | None = None
    refresh_token: str | None = None
    user: UserNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RefreshTokenPayload:
    token: str | None = None
    refresh_token: str | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RevokeTokenPayload:
    revoked: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class VerifyTokenPayload:
    payload: JSON | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _movement(payload_type: type[MovementPayload], info: Info, service, *, guard=None, **arguments) -> MovementPayload:
    user = viewer(info)
    try:
        if guard is not None:
            guard()
        result = service(**arguments)
    except WalletError as exc:
        return payload_type(wallet=selectors.wallet_for_user(user=user), errors=[user_error(exc)])
    error = result.error
    return payload_type(
        transaction=result.transaction,
        wallet=result.wallet,
        replayed=result.replayed,
        errors=[user_error(error)] if error else [],
    )


@strawberry.type
class Mutation(ApiKeyMutations, WebhookMutations, StandingOrderMutations, PaymentRequestMutations, ControlMutations):
    @strawberry.mutation(permission_classes=MOVES_MONEY, description="Top up the viewer's wallet.")
    def add_money(self, info: Info, input: AddMoneyInput) -> AddMoneyPayload:
        return _movement(
            AddMoneyPayload,
            info,
            services.money_add,
            user=viewer(info),
            amount=input.amount,
            idempotency_key=input.idempotency_key,
            tags=input.tags(),
        )

    @strawberry.mutation(permission_classes=MOVES_MONEY, description="Send money to a user by username.")
    def transfer(self, info: Info, input: TransferInput) -> TransferPayload:
        return _movement(
            TransferPayload,
            info,
            services.transfer_create,
            sender=viewer(info),
            receiver_username=input.receiver_username,
            amount=input.amount,
            idempotency_key=input.idempotency_key,
            note=input.note,
            tags=input.tags(),
        )

    @strawberry.mutation(permission_classes=MOVES_MONEY, description="Send money to a registered mobile number.")
    def pay_by_mobile(self, info: Info, input: PayByMobileInput) -> PayByMobilePayload:
        return _movement(
            PayByMobilePayload,
            info,
            services.mobile_payment_create,
            guard=lambda: throttle.check_mobile_lookup(info.context.request, user=viewer(info)),
            sender=viewer(info),
            mobile_number=input.mobile_number,
            amount=input.amount,
            idempotency_key=input.idempotency_key,
            note=input.note,
            tags=input.tags(),
        )

    @strawberry.mutation(permission_classes=MOVES_MONEY, description="Move money out of the wallet.")
    def withdraw(self, info: Info, input: WithdrawInput) -> WithdrawPayload:
        return _movement(
            WithdrawPayload,
            info,
            services.withdrawal_create,
            user=viewer(info),
            amount=input.amount,
            idempotency_key=input.idempotency_key,
            tags=input.tags(),
        )

    @strawberry.mutation(
        permission_classes=MOVES_MONEY,
        description="Return money of a transfer or mobile payment you received, in full or in part, to its sender.",
    )
    def reverse_transaction(self, info: Info, input: ReverseTransactionInput) -> ReverseTransactionPayload:
        return _movement(
            ReverseTransactionPayload,
            info,
            services.reversal_create,
            user=viewer(info),
            transaction_id=transaction_pk(input.transaction_id),
            amount=input.amount,
            idempotency_key=input.idempotency_key,
            tags=input.tags(),
        )

    @strawberry.mutation(
        permission_classes=MOVES_MONEY,
        description="Up to 100 transfers in one database transaction; with atomic, all succeed or none do.",
    )
    def transfer_batch(self, info: Info, input: TransferBatchInput) -> TransferBatchPayload:
        user = viewer(info)
        items = [
            services.BatchItem(
                receiver_username=item.receiver_username, amount=item.amount, note=item.note, tags=item.tags()
            )
            for item in input.transfers
        ]
        try:
            result = services.transfer_batch_create(
                sender=user, transfers=items, atomic=input.atomic, idempotency_key=input.idempotency_key
            )
        except (WalletError, ValidationFailed) as exc:
            return TransferBatchPayload(wallet=selectors.wallet_for_user(user=user), errors=user_errors(exc))
        return TransferBatchPayload(
            transactions=result.transactions,
            wallet=result.wallet,
            replayed=result.replayed,
            errors=[user_error(error) for error in result.errors],
        )

    @strawberry.mutation(
        permission_classes=HOLDS,
        description="Reserve money for a receiver until captured, voided or expired (a two-phase transfer).",
    )
    def create_hold(self, info: Info, input: CreateHoldInput) -> CreateHoldPayload:
        return _movement(
            CreateHoldPayload,
            info,
            services.hold_create,
            guard=(
                (lambda: throttle.check_mobile_lookup(info.context.request, user=viewer(info)))
                if input.mobile_number is not None
                else None
            ),
            payer=viewer(info),
            receiver_username=input.receiver_username,
            mobile_number=input.mobile_number,
            amount=input.amount,
            idempotency_key=input.idempotency_key,
            expires_in_seconds=input.expires_in_seconds,
            note=input.note,
            tags=input.tags(),
        )

    @strawberry.mutation(
        permission_classes=HOLDS,
        description="Settle all or part of a hold, yours or one placed for you (a merchant capturing an "
        "authorisation), to its receiver; the rest is released. Resolves the hold, once, whoever does.",
    )
    def capture_hold(self, info: Info, input: CaptureHoldInput) -> CaptureHoldPayload:
        return _movement(
            CaptureHoldPayload,
            info,
            services.hold_capture,
            user=viewer(info),
            hold_id=transaction_pk(input.hold_id),
            amount=input.amount,
            idempotency_key=input.idempotency_key,
            tags=input.tags(),
        )

    @strawberry.mutation(
        permission_classes=HOLDS,
        description="Release a hold, yours or one placed for you. Resolves the hold, once.",
    )
    def void_hold(self, info: Info, input: VoidHoldInput) -> VoidHoldPayload:
        return _movement(
            VoidHoldPayload,
            info,
            services.hold_void,
            user=viewer(info),
            hold_id=transaction_pk(input.hold_id),
            idempotency_key=input.idempotency_key,
            tags=input.tags(),
        )

    @strawberry.mutation(description="Create a user and their wallet; returns tokens so the client is signed in.")
    def register(self, info: Info, input: RegisterInput) -> RegisterPayload:
        try:
            throttle.check_registration(info.context.request)
        except WalletError as exc:
            return RegisterPayload(errors=[user_error(exc)])
        try:
            user = services.user_register(
                username=input.username, password=input.password, mobile_number=input.mobile_number
            )
        except ValidationFailed as exc:
            return RegisterPayload(errors=user_errors(exc))
        issued = services.tokens_issue(user=user)
        return RegisterPayload(user=issued.user, token=issued.token, refresh_token=issued.refresh_token)

    @strawberry.mutation(description="Log in: a short-lived access token and a long-running refresh token.")
    def token_auth(self, info: Info, username: str, password: str) -> TokenAuthPayload:
        try:
            throttle.check_login(info.context.request, username=username)
            issued = services.tokens_obtain(username=username, password=password)
        except WalletError as exc:
            return TokenAuthPayload(errors=user_errors(exc))
        return TokenAuthPayload(token=issued.token, refresh_token=issued.refresh_token, user=issued.user)

    @strawberry.mutation(
        description="A new access token for a refresh token, which is rotated (the old one stops working)."
    )
    def refresh_token(self, refresh_token: str) -> RefreshTokenPayload:
        try:
            issued = services.tokens_refresh(refresh_token=refresh_token)
        except WalletError as exc:
            return RefreshTokenPayload(errors=user_errors(exc))
        return RefreshTokenPayload(token=issued.token, refresh_token=issued.refresh_token)

    @strawberry.mutation(description="Revoke a refresh token (log out).")
    def revoke_token(self, refresh_token: str) -> RevokeTokenPayload:
        try:
            services.refresh_token_revoke(refresh_token=refresh_token)
        except WalletError as exc:
            return RevokeTokenPayload(errors=user_errors(exc))
        return RevokeTokenPayload(revoked=True)

    @strawberry.mutation(description="The payload of a valid, unexpired access token.")
    def verify_token(self, token: str) -> VerifyTokenPayload:
        try:
            payload = services.token_verify(token=token)
        except WalletError as exc:
            return VerifyTokenPayload(errors=user_errors(exc))
        return VerifyTokenPayload(payload=payload)
