from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Optional

import strawberry
import strawberry_django
from django.urls import reverse
from django.utils import timezone
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from schema.errors import ErrorCode
from schema.permissions import viewer
from wallet import models, selectors, services

if TYPE_CHECKING:
    from schema.controls import FreezeScope, WalletFreezeNode, WalletLimits


@strawberry.enum(description="What a transaction did.")
class TransactionKind(Enum):
    ADD_MONEY = "ADD_MONEY"
    TRANSFER = "TRANSFER"
    PAY_BY_MOBILE = "PAY_BY_MOBILE"
    WITHDRAWAL = "WITHDRAWAL"
    REVERSAL = "REVERSAL"
    HOLD = "HOLD"
    HOLD_CAPTURE = "HOLD_CAPTURE"
    HOLD_RELEASE = "HOLD_RELEASE"


@strawberry.enum(
    description="SUCCESS moved money; FAILED was refused for the reason in failureCode; "
    "PENDING is a hold that reserved money (see holdState for what became of it)."
)
class TransactionStatus(Enum):
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    PENDING = "PENDING"


@strawberry.enum(description="What became of a hold.")
class HoldState(Enum):
    ACTIVE = "ACTIVE"
    CAPTURED = "CAPTURED"
    VOIDED = "VOIDED"
    EXPIRED = "EXPIRED"


@strawberry.enum(description="CREDIT adds to the wallet's balance, DEBIT takes from it.")
class EntryDirection(Enum):
    DEBIT = "DEBIT"
    CREDIT = "CREDIT"


def _primary_key(cls, root, *, info) -> str:
    # The model's pk as the node id, read directly: strawberry-django's generic
    # resolver re-evaluates type annotations on every call.
    return str(root.pk)


@strawberry_django.type(models.Wallet, name="Wallet")
class WalletNode(relay.Node):
    resolve_id = classmethod(_primary_key)
    currency: str
    balance: Decimal
    daily_transfer_limit: Decimal

    @strawberry.field(description="Sent today (in the server's TIME_ZONE) by movements that count toward the limit.")
    def transferred_today(self) -> Decimal:
        return selectors.transferred_today(wallet=self)

    @strawberry.field(description="The wallet's active freezes, oldest first.")
    def freezes(self) -> list[Annotated["WalletFreezeNode", strawberry.lazy("schema.controls")]]:
        from schema.controls import WalletFreezeNode

        return [WalletFreezeNode.of(freeze) for freeze in selectors.wallet_active_freezes(wallet=self)]

    @strawberry.field(description="What the active freezes stop, together; null when the wallet is not frozen.")
    def frozen_for(self) -> Annotated["FreezeScope", strawberry.lazy("schema.controls")] | None:
        from schema.controls import FreezeScope

        return FreezeScope(self.frozen_scope) if self.frozen_scope else None

    @strawberry.field(description="The wallet's tier and limits, with what remains of them today and this month.")
    def limits(self) -> Annotated["WalletLimits", strawberry.lazy("schema.controls")]:
        from schema.controls import WalletLimits

        return WalletLimits.of(selectors.wallet_limits(wallet=self))

    @strawberry.field(description="Balance minus what active holds reserve: what the wallet can spend now.")
    def available_balance(self) -> Decimal:
        return selectors.available_balance(wallet=self)

    @strawberry.field(
        description="The balance as it stood at a moment: its posted entries made before it, summed (an entry "
        "made exactly then counts from then on, as a statement starting then opens without it)."
    )
    def balance_at(self, at: datetime) -> Decimal:
        # A moment without an offset is read in the server's TIME_ZONE.
        moment = at if timezone.is_aware(at) else timezone.make_aware(at)
        return selectors.balance_at(wallet=self, at=moment)


@strawberry_django.type(models.User, name="User")
class UserNode(relay.Node):
    resolve_id = classmethod(_primary_key)

    username: str
    mobile_number: str | None

    @strawberry.field
    def wallet(self) -> WalletNode:
        return selectors.wallet_for_user(user=self)


@strawberry.type(description="The other side of a transaction, as much of it as a participant may see.")
class Party:
    username: str


def _party(wallet: models.Wallet | None) -> Party | None:
    if wallet is None or wallet.user_id is None:
        return None  # system accounts (funding, payouts) have no username
    return Party(username=wallet.user.username)


@strawberry.enum(description="PENDING while the receipt is being made; READY to download; FAILED if it could not be.")
class ReceiptStatus(Enum):
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"


@strawberry.type(description="The viewer's PDF receipt of a transaction.")
class Receipt:
    status: ReceiptStatus
    url: str | None = strawberry.field(description="A signed download link, valid for a few minutes; READY only.")
    verification_code: str


# A plain Strawberry type over the model, not a strawberry_django one: its plain fields then take Strawberry's fast
# path for fields without a resolver (a history page resolves them 50 times over); kind and status are the model's
# strings, which the enums serialise as they are.
@strawberry.type(name="Transaction")
class TransactionNode(relay.Node):
    resolve_id = classmethod(_primary_key)

    amount: Decimal
    fee: Decimal = strawberry.field(
        description="The fee charged on the movement, besides its amount (0.00 when none): paid by the sender, or "
        "for a top-up out of the amount credited."
    )
    currency: str
    note: str
    created_at: datetime
    expires_at: datetime | None = strawberry.field(
        description="For a hold: when it stops reserving money unless captured or voided first."
    )
    kind: TransactionKind
    status: TransactionStatus
    metadata: JSON = strawberry.field(description="The initiator's strings, as they attached them.")

    @strawberry.field(description="The initiator's own id for the movement, if they gave one.")
    def reference(self) -> str | None:
        return self.reference or None

    @classmethod
    def is_type_of(cls, obj, info) -> bool:
        return isinstance(obj, (cls, models.Transaction))

    @strawberry.field
    def failure_code(self) -> ErrorCode | None:
        return ErrorCode(self.failure_code) if self.failure_code else None

    @strawberry.field(description="Shown to the transaction's initiator only.")
    def idempotency_key(self, info: Info) -> str | None:
        return self.idempotency_key if self.initiator_id == viewer(info).pk else None

    @strawberry.field
    def sender(self) -> Party | None:
        return _party(self.sender_wallet)

    @strawberry.field
    def receiver(self) -> Party | None:
        return _party(self.receiver_wallet)

    @strawberry.field(description="For a hold that reserved money: what became of it.")
    def hold_state(self) -> HoldState | None:
        state = selectors.hold_state(hold=self)
        return HoldState(state) if state else None

    @strawberry.field(description="For a reversal, the transaction it returns money of (if the viewer may see it).")
    def original(self, info: Info) -> Optional["TransactionNode"]:
        if self.original_id is None:
            return None
        return selectors.transaction_for_user(user=viewer(info), transaction_id=self.original_id)

    @strawberry.field(
        description="The viewer's receipt of a payment that moved their balance: asking for it queues its PDF, so it "
        "is PENDING, then READY (or FAILED)."
    )
    def receipt(self, info: Info) -> Receipt | None:
        receipt = services.receipt_for_viewer(user=viewer(info), txn=self)
        if receipt is None:
            return None
        url = None
        if receipt.status == models.Receipt.Status.READY:
            url = info.context.request.build_absolute_uri(
                reverse("receipt-download", args=[services.receipt_link_token(receipt)])
            )
        return Receipt(status=ReceiptStatus(receipt.status), url=url, verification_code=receipt.verification_code)

    @strawberry.field(description="The viewer's own ledger entries in this transaction.")
    def entries(self, info: Info) -> list["LedgerEntryNode"]:
        return selectors.viewer_entries_of(transaction=self, user=viewer(info))


@strawberry_django.type(models.LedgerEntry, name="LedgerEntry")
class LedgerEntryNode(relay.Node):
    resolve_id = classmethod(_primary_key)

    amount: Decimal
    balance_after: Decimal
    pending: bool = strawberry.field(description="A hold's reservation: it moves what is held, not the balance.")
    created_at: datetime
    transaction: TransactionNode

    @strawberry.field
    def direction(self) -> EntryDirection:
        return EntryDirection(self.direction)
