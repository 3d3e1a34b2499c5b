"""A wallet's controls, as its owner sees them (issue 16): freezes (and the owner's panic switch), and the limits
with what remains of them. The staff API lives elsewhere."""

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from schema.errors import UserError, user_error
from schema.permissions import PERSONS, viewer
from wallet import models, selectors
from wallet.errors import WalletError
from wallet.services.controls import wallet_freeze, wallet_unfreeze

if TYPE_CHECKING:
    from schema.types import WalletNode


@strawberry.enum(description="What a freeze stops: money leaving the wallet, arriving in it, or both.")
class FreezeScope(Enum):
    DEBITS = "DEBITS"
    CREDITS = "CREDITS"
    ALL = "ALL"


@strawberry.enum(description="Why a wallet was frozen.")
class FreezeReasonCode(Enum):
    FRAUD_SUSPECTED = "FRAUD_SUSPECTED"
    COMPLIANCE_REVIEW = "COMPLIANCE_REVIEW"
    CUSTOMER_REQUEST = "CUSTOMER_REQUEST"
    LOST_DEVICE = "LOST_DEVICE"
    OTHER = "OTHER"


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
