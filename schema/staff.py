"""The staff API: its own schema, served at /staff/graphql/ only to active staff signed in with an access token
(StaffGraphQLView; everyone else gets the 404 of a path that does not exist). Each field needs its own Django
permission (StaffAuditRecord.Meta.permissions); without it the field answers a top-level FORBIDDEN and does nothing.
Resolvers are thin: each mutation is one service of wallet/services/staff.py, which writes the audit record."""

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from django.db import Error as DatabaseError
from django.http import Http404, HttpRequest
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import TemporalHttpResponse
from strawberry.permission import BasePermission
from strawberry.scalars import JSON
from strawberry.types import Info

from schema.controls import FreezeReasonCode, FreezeScope, WalletFreezeNode
from schema.errors import UserError, retryable_graphql_error, user_errors
from schema.ids import parse_global_id, transaction_pk
from schema.pagination import Connection
from schema.root import WalletSchema
from schema.root import schema as public_schema
from schema.types import LedgerEntryNode, ReceiptStatus, TransactionNode, UserNode, WalletNode
from schema.view import WalletGraphQLView, authenticate
from schema.webhooks import WebhookDelivery
from wallet import models
from wallet.errors import RetryableError, ValidationFailed, WalletError
from wallet.selectors import staff as selectors
from wallet.services import staff as services
from wallet.services.retries import retryable_error
from wallet.services.staff import StaffOutcome


def is_staff_caller(request: HttpRequest) -> bool:
    """An active staff member signed in with an access token; API keys never reach the staff API."""
    user = request.user
    return request.api_key is None and user.is_authenticated and user.is_active and user.is_staff


@method_decorator(csrf_exempt, name="dispatch")
class StaffGraphQLView(WalletGraphQLView):
    """The staff schema behind the same bearer authentication as /graphql/; a 404 for anyone not staff, whatever the
    method, so the endpoint's existence is not revealed. No GraphiQL page."""

    def __init__(self, **kwargs):
        kwargs.setdefault("schema", staff_schema)
        kwargs["graphql_ide"] = None
        super().__init__(**kwargs)

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        try:
            authenticate(request)
        except (DatabaseError, RetryableError) as error:
            # The caller could not be looked up (the database is away): a POST gets /graphql/'s retryable answer,
            # a 503 that ran nothing, so that staff know to retry. (During such an outage this path answers unlike a
            # missing one; it still runs nothing and shows nothing of the schema.)
            transient = retryable_error(error)
            if transient is None or request.method != "POST":
                raise
            body = {"data": None, "errors": [retryable_graphql_error(transient).formatted]}
            return self.create_response(body, TemporalHttpResponse())
        if not is_staff_caller(request):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


def staff_permission(codename: str) -> type[BasePermission]:
    class HasStaffPermission(BasePermission):
        message = f"This needs the permission wallet.{codename}."
        error_extensions = {"code": "FORBIDDEN"}

        def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
            return is_staff_caller(info.context.request) and info.context.request.user.has_perm(f"wallet.{codename}")

    HasStaffPermission.__name__ = f"Has_{codename}"
    return HasStaffPermission


FREEZE_WALLET = [staff_permission("freeze_wallet")]
SET_WALLET_TIER = [staff_permission("set_wallet_tier")]
REVERSE_TRANSACTION = [staff_permission("reverse_transaction")]
RESEND_NOTIFICATION = [staff_permission("resend_notification")]
VIEW_STAFF_AUDIT = [staff_permission("view_staff_audit")]


def actor(info: Info) -> models.User:
    return info.context.request.user


def wallet_pk(value: str | None) -> int | None:
    """The pk of a Wallet global ID; None when the ID names no wallet."""
    parsed = parse_global_id(value) if value else None
    return parsed[1] if parsed is not None and parsed[0] == "Wallet" else None


def plain_pk(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() else None


StaffAction = strawberry.enum(models.StaffAuditRecord.Action, name="StaffAction", description="What a staff did.")
StaffActionSource = strawberry.enum(
    models.StaffAuditRecord.Source, name="StaffActionSource", description="Where the staff member acted."
)


@strawberry.type(name="StaffAuditRecord", description="One staff action: who, what, why, the target, before, after.")
class StaffAuditRecordType:
    id: strawberry.ID
    actor: str = strawberry.field(description="The staff member's username.")
    action: StaffAction
    reason: str
    target_wallet_id: strawberry.ID | None = strawberry.field(
        description="The Wallet global ID of the wallet acted on."
    )
    target_type: str = strawberry.field(description="The model of the object acted on: Transaction, Wallet, ...")
    target_id: str
    before: JSON
    after: JSON
    source: StaffActionSource
    request_id: str | None = strawberry.field(description="The X-Request-ID of the request that did it.")
    created_at: datetime

    @classmethod
    def of(cls, record: models.StaffAuditRecord) -> "StaffAuditRecordType":
        return cls(
            id=strawberry.ID(str(record.pk)),
            actor=record.actor.username,
            action=StaffAction(record.action),
            reason=record.reason,
            target_wallet_id=(
                strawberry.ID(str(strawberry.relay.to_base64("Wallet", record.target_wallet_id)))
                if record.target_wallet_id
                else None
            ),
            target_type=record.target_type,
            target_id=record.target_id,
            before=record.before,
            after=record.after,
            source=StaffActionSource(record.source),
            request_id=record.request_id or None,
            created_at=record.created_at,
        )


@strawberry.type
class StaffPayload:
    audit_record: StaffAuditRecordType | None = strawberry.field(
        default=None, description="The record of this action (null when it was refused before doing anything)."
    )
    replayed: bool = strawberry.field(default=False, description="True when this idempotency key had done it.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class StaffReverseTransactionInput:
    transaction_id: strawberry.ID = strawberry.field(description="Any customer's transfer or mobile payment.")
    amount: Decimal | None = strawberry.field(default=None, description="Omit to return all that is left.")
    reason: str = strawberry.field(description="Why: 3 to 500 characters, kept in the audit trail.")
    idempotency_key: str


@strawberry.type
class StaffReverseTransactionPayload(StaffPayload):
    transaction: TransactionNode | None = strawberry.field(
        default=None, description="The reversal (FAILED, with its failureCode, when the engine refused it)."
    )


@strawberry.input
class StaffResendWebhookInput:
    delivery_id: strawberry.ID = strawberry.field(description="Any owner's webhook delivery.")
    reason: str = strawberry.field(description="Why: 3 to 500 characters, kept in the audit trail.")
    idempotency_key: str


@strawberry.type
class StaffResendWebhookPayload(StaffPayload):
    delivery: WebhookDelivery | None = strawberry.field(default=None, description="The new delivery, due now.")


@strawberry.input
class StaffResendReceiptInput:
    transaction_id: strawberry.ID
    reason: str = strawberry.field(description="Why: 3 to 500 characters, kept in the audit trail.")
    idempotency_key: str


@strawberry.type(description="One participant's receipt of a transaction.")
class StaffReceipt:
    wallet_id: strawberry.ID
    status: ReceiptStatus


@strawberry.type
class StaffResendReceiptPayload(StaffPayload):
    transaction: TransactionNode | None = None
    receipts: list[StaffReceipt] = strawberry.field(default_factory=list)


@strawberry.input(description="Name the wallet by walletId (a Wallet global ID) or by its owner's username.")
class StaffWalletInput:
    wallet_id: strawberry.ID | None = None
    username: str | None = None
    reason: str = strawberry.field(description="Why: 3 to 500 characters, kept in the audit trail.")
    idempotency_key: str

    def wallet(self) -> dict:
        return {"wallet_id": self._wallet_pk(), "username": self.username}

    def _wallet_pk(self) -> int | None:
        if self.wallet_id is None:
            return None
        pk = wallet_pk(self.wallet_id)
        return pk if pk is not None else 0  # an ID naming no wallet: matches none


@strawberry.input
class StaffFreezeWalletInput(StaffWalletInput):
    scope: FreezeScope
    reason_code: FreezeReasonCode
    note: str | None = strawberry.field(default=None, description="Shown to the owner with the freeze.")


@strawberry.input
class StaffUnfreezeWalletInput(StaffWalletInput):
    freeze_id: strawberry.ID


@strawberry.input
class StaffSetWalletTierInput(StaffWalletInput):
    tier: str = strawberry.field(description="A tier's code: BASIC, VERIFIED, BUSINESS or one staff added.")


@strawberry.input(description="Each limit given is set; null clears it (the tier's applies); one left out stays.")
class StaffSetWalletLimitsInput(StaffWalletInput):
    daily: Decimal | None = strawberry.UNSET
    monthly: Decimal | None = strawberry.UNSET
    max_balance: Decimal | None = strawberry.UNSET
    per_transaction: Decimal | None = strawberry.UNSET

    def overrides(self) -> dict:
        given = {
            "daily": self.daily,
            "monthly": self.monthly,
            "max_balance": self.max_balance,
            "per_transaction": self.per_transaction,
        }
        return {name: value for name, value in given.items() if value is not strawberry.UNSET}


@strawberry.type
class StaffFreezeWalletPayload(StaffPayload):
    wallet: WalletNode | None = None
    freeze: WalletFreezeNode | None = None


@strawberry.type
class StaffWalletPayload(StaffPayload):
    wallet: WalletNode | None = None


@strawberry.type
class StaffUnfreezeWalletPayload(StaffWalletPayload):
    pass


@strawberry.type
class StaffSetWalletTierPayload(StaffWalletPayload):
    pass


@strawberry.type
class StaffSetWalletLimitsPayload(StaffWalletPayload):
    pass


def _payload(payload_type, run, result_fields) -> StaffPayload:
    """Runs one staff service; maps its refusal to payload errors, its outcome to the payload."""
    try:
        outcome: StaffOutcome = run()
    except (WalletError, ValidationFailed) as exc:
        return payload_type(errors=user_errors(exc))
    return payload_type(
        audit_record=StaffAuditRecordType.of(outcome.record),
        replayed=outcome.replayed,
        errors=user_errors(outcome.error) if outcome.error else [],
        **result_fields(outcome),
    )


def _receipts(transaction: models.Transaction | None) -> list[StaffReceipt]:
    if transaction is None:
        return []
    return [
        StaffReceipt(
            wallet_id=strawberry.relay.to_base64("Wallet", receipt.wallet_id), status=ReceiptStatus(receipt.status)
        )
        for receipt in models.Receipt.objects.filter(transaction=transaction).order_by("wallet_id")
    ]


@strawberry.type
class StaffQuery:
    @strawberry.field(
        permission_classes=VIEW_STAFF_AUDIT,
        description="The staff audit trail, newest first, optionally by actor (username), target wallet or action.",
    )
    def staff_audit_records(
        self,
        first: int | None = None,
        after: str | None = None,
        actor: str | None = None,
        target_wallet: strawberry.ID | None = None,
        action: StaffAction | None = None,
    ) -> Connection[StaffAuditRecordType]:
        records = selectors.staff_audit_records(
            actor_username=actor,
            target_wallet_id=wallet_pk(target_wallet) if target_wallet is not None else None,
            unknown_wallet=target_wallet is not None and wallet_pk(target_wallet) is None,
            action=action.value if action is not None else None,
        )
        page = Connection[StaffAuditRecordType].page(records, first=first, after=after)
        for edge in page.edges:
            edge.node = StaffAuditRecordType.of(edge.node)
        return page


@strawberry.type
class StaffMutation:
    @strawberry.mutation(
        permission_classes=REVERSE_TRANSACTION,
        description="Reverse a customer's received transfer or mobile payment on their behalf (no wallet needed).",
    )
    def staff_reverse_transaction(
        self, info: Info, input: StaffReverseTransactionInput
    ) -> StaffReverseTransactionPayload:
        return _payload(
            StaffReverseTransactionPayload,
            lambda: services.staff_transaction_reverse(
                actor=actor(info),
                transaction_id=transaction_pk(input.transaction_id),
                amount=input.amount,
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            ),
            lambda outcome: {"transaction": outcome.result},
        )

    @strawberry.mutation(
        permission_classes=RESEND_NOTIFICATION,
        description="Send any owner's webhook delivery again, as a new delivery due now.",
    )
    def staff_resend_webhook(self, info: Info, input: StaffResendWebhookInput) -> StaffResendWebhookPayload:
        return _payload(
            StaffResendWebhookPayload,
            lambda: services.staff_webhook_resend(
                actor=actor(info),
                delivery_id=plain_pk(input.delivery_id),
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            ),
            lambda outcome: {"delivery": WebhookDelivery.of(outcome.result) if outcome.result else None},
        )

    @strawberry.mutation(
        permission_classes=RESEND_NOTIFICATION,
        description="Queue the rendering of every participant's receipt of a transaction again (those not READY).",
    )
    def staff_resend_receipt(self, info: Info, input: StaffResendReceiptInput) -> StaffResendReceiptPayload:
        return _payload(
            StaffResendReceiptPayload,
            lambda: services.staff_receipt_resend(
                actor=actor(info),
                transaction_id=transaction_pk(input.transaction_id),
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            ),
            lambda outcome: {"transaction": outcome.result, "receipts": _receipts(outcome.result)},
        )

    @strawberry.mutation(
        permission_classes=FREEZE_WALLET,
        description="Freeze a wallet for debits, credits or both; only staff can lift it.",
    )
    def staff_freeze_wallet(self, info: Info, input: StaffFreezeWalletInput) -> StaffFreezeWalletPayload:
        return _payload(
            StaffFreezeWalletPayload,
            lambda: services.staff_wallet_freeze(
                actor=actor(info),
                **input.wallet(),
                scope=input.scope.value,
                reason_code=input.reason_code.value,
                note=input.note or "",
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            ),
            lambda outcome: {
                "wallet": outcome.result[0],
                "freeze": WalletFreezeNode.of(outcome.result[1]) if outcome.result[1] else None,
            },
        )

    @strawberry.mutation(permission_classes=FREEZE_WALLET, description="Lift any active freeze of a wallet.")
    def staff_unfreeze_wallet(self, info: Info, input: StaffUnfreezeWalletInput) -> StaffUnfreezeWalletPayload:
        return _payload(
            StaffUnfreezeWalletPayload,
            lambda: services.staff_wallet_unfreeze(
                actor=actor(info),
                **input.wallet(),
                freeze_id=plain_pk(input.freeze_id),
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            ),
            lambda outcome: {"wallet": outcome.result},
        )

    @strawberry.mutation(permission_classes=SET_WALLET_TIER, description="Put a wallet in a tier.")
    def staff_set_wallet_tier(self, info: Info, input: StaffSetWalletTierInput) -> StaffSetWalletTierPayload:
        return _payload(
            StaffSetWalletTierPayload,
            lambda: services.staff_wallet_set_tier(
                actor=actor(info),
                **input.wallet(),
                tier_code=input.tier,
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            ),
            lambda outcome: {"wallet": outcome.result},
        )

    @strawberry.mutation(
        permission_classes=SET_WALLET_TIER, description="Set or clear a wallet's limit overrides (they beat its tier)."
    )
    def staff_set_wallet_limits(self, info: Info, input: StaffSetWalletLimitsInput) -> StaffSetWalletLimitsPayload:
        return _payload(
            StaffSetWalletLimitsPayload,
            lambda: services.staff_wallet_set_limits(
                actor=actor(info),
                **input.wallet(),
                overrides=input.overrides(),
                reason=input.reason,
                idempotency_key=input.idempotency_key,
            ),
            lambda outcome: {"wallet": outcome.result},
        )


staff_schema = WalletSchema(
    query=StaffQuery,
    mutation=StaffMutation,
    types=[UserNode, WalletNode, TransactionNode, LedgerEntryNode],
    config=public_schema.config,
    extensions=public_schema.extensions,
)
