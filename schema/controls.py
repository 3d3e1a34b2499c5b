"""A wallet's controls, as its owner sees them (issue 16): freezes (and the owner's panic switch), and the limits
with what remains of them. The staff API lives elsewhere."""

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from schema.errors import UserError, user_error
from schema.permissions import PERSONS, READS, viewer
from wallet import models, selectors
from wallet.errors import WalletError
from wallet.services.controls import fee_quote, wallet_freeze, wallet_unfreeze
from wallet.validation import clean_amount

if TYPE_CHECKING:
    from schema.types import WalletNode


FreezeScope = strawberry.enum(
    models.WalletFreeze.Scope,
    name="FreezeScope",
    description="What a freeze stops: money leaving the wallet, arriving in it, or both.",
)


FreezeReasonCode = strawberry.enum(
    models.WalletFreeze.Reason,
    name="FreezeReasonCode",
    description="Why a wallet was frozen.",
)


@strawberry.type(name="WalletFreeze", description="An active freeze of the wallet.")
class WalletFreezeNode:
    id: strawberry.ID
    scope: FreezeScope
    reason_code: FreezeReasonCode
    note: str
    set_by_staff: bool = strawberry.field(description="Only staff can lift a freeze staff set.")
    created_at: datetime

    @classmethod
    def of(cls, freeze: models.WalletFreeze) -> "WalletFreezeNode":
        return cls(
            id=strawberry.ID(str(freeze.pk)),
            scope=FreezeScope(freeze.scope),
            reason_code=FreezeReasonCode(freeze.reason_code),
            note=freeze.note,
            set_by_staff=freeze.set_by_staff,
            created_at=freeze.created_at,
        )


@strawberry.type(description="A limit over a period: what it is, what was used of it, and when that starts over.")
class PeriodLimit:
    limit: Decimal
    used: Decimal
    remaining: Decimal
    resets_at: datetime


@strawberry.type(description="What the wallet may still do. A null limit is no limit.")
class WalletLimits:
    tier: str
    daily: PeriodLimit | None
    monthly: PeriodLimit | None
    max_balance: Decimal | None = strawberry.field(description="A credit past this balance is refused.")
    per_transaction: Decimal | None = strawberry.field(description="The most one outgoing movement may be.")

    @classmethod
    def of(cls, limits: selectors.WalletLimits) -> "WalletLimits":
        def period(use):
            return (
                None
                if use is None
                else PeriodLimit(limit=use.limit, used=use.used, remaining=use.remaining, resets_at=use.resets_at)
            )

        return cls(
            tier=limits.tier,
            daily=period(limits.daily),
            monthly=period(limits.monthly),
            max_balance=limits.max_balance,
            per_transaction=limits.per_transaction,
        )


@strawberry.type(description="What a movement would cost before it is made, by the fee rules in force now.")
class TransferQuote:
    amount: Decimal
    fee: Decimal
    total: Decimal = strawberry.field(
        description="What leaves the wallet (amount plus fee); for a top-up, what arrives in it (amount less fee)."
    )
    currency: str


def _quote(info: Info, kind: str, amount: Decimal) -> TransferQuote:
    try:
        amount = clean_amount(amount)
    except WalletError as exc:
        raise GraphQLError(f"amount: {exc.message}", extensions={"code": "BAD_USER_INPUT"}) from None
    user = viewer(info)
    fee = fee_quote(user=user, kind=kind, amount=amount)
    total = amount - fee if kind == models.Transaction.Kind.ADD_MONEY else amount + fee
    return TransferQuote(amount=amount, fee=fee, total=total, currency=user.wallet.currency)


@strawberry.type
class ControlQueries:
    @strawberry.field(
        permission_classes=READS,
        description="The fee of a transfer (or, with mobileNumber, a payment by mobile) of this amount. The "
        "receiver is not looked up: it only picks the kind.",
    )
    def quote_transfer(
        self, info: Info, amount: Decimal, receiver_username: str | None = None, mobile_number: str | None = None
    ) -> TransferQuote:
        kind = models.Transaction.Kind.PAY_BY_MOBILE if mobile_number else models.Transaction.Kind.TRANSFER
        return _quote(info, kind, amount)

    @strawberry.field(permission_classes=READS, description="The fee of a withdrawal of this amount.")
    def quote_withdrawal(self, info: Info, amount: Decimal) -> TransferQuote:
        return _quote(info, models.Transaction.Kind.WITHDRAWAL, amount)

    @strawberry.field(
        permission_classes=READS, description="The fee of a top-up of this amount (it comes out of the amount)."
    )
    def quote_add_money(self, info: Info, amount: Decimal) -> TransferQuote:
        return _quote(info, models.Transaction.Kind.ADD_MONEY, amount)


@strawberry.input
class FreezeMyWalletInput:
    scope: FreezeScope
    note: str | None = None
    idempotency_key: str


@strawberry.type
class FreezeMyWalletPayload:
    wallet: Annotated["WalletNode", strawberry.lazy("schema.types")] | None = None
    freeze: WalletFreezeNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class UnfreezeMyWalletInput:
    freeze_id: strawberry.ID
    idempotency_key: str


@strawberry.type
class UnfreezeMyWalletPayload:
    wallet: Annotated["WalletNode", strawberry.lazy("schema.types")] | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ControlMutations:
    @strawberry.mutation(
        permission_classes=PERSONS,
        description="Freeze your own wallet at once (a panic switch): its debits, credits or both are refused "
        "(WALLET_FROZEN) until you lift it. The reason is CUSTOMER_REQUEST.",
    )
    def freeze_my_wallet(self, info: Info, input: FreezeMyWalletInput) -> FreezeMyWalletPayload:
        user = viewer(info)
        try:
            change = wallet_freeze(
                wallet=user.wallet,
                scope=input.scope.value,
                reason_code=models.WalletFreeze.Reason.CUSTOMER_REQUEST,
                note=input.note or "",
                by=user,
                as_staff=False,
                idempotency_key=input.idempotency_key,
            )
        except WalletError as exc:
            return FreezeMyWalletPayload(errors=[user_error(exc)])
        return FreezeMyWalletPayload(wallet=change.wallet, freeze=WalletFreezeNode.of(change.freeze))

    @strawberry.mutation(
        permission_classes=PERSONS,
        description="Lift a freeze you set yourself (a freeze staff set is FREEZE_NOT_FOUND to you).",
    )
    def unfreeze_my_wallet(self, info: Info, input: UnfreezeMyWalletInput) -> UnfreezeMyWalletPayload:
        user = viewer(info)
        freeze_id = int(input.freeze_id) if str(input.freeze_id).isdigit() else None
        try:
            change = wallet_unfreeze(wallet=user.wallet, freeze_id=freeze_id, by=user, as_staff=False)
        except WalletError as exc:
            return UnfreezeMyWalletPayload(errors=[user_error(exc)])
        return UnfreezeMyWalletPayload(wallet=change.wallet)
