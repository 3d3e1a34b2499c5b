"""Webhook endpoints and their delivery log, for their owner (signed in, or an API key with the WEBHOOKS scope)."""

import json
from datetime import datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from schema.errors import UserError, user_error, user_errors
from schema.pagination import Connection
from schema.permissions import WEBHOOKS, viewer
from wallet import models, selectors
from wallet.errors import ValidationFailed, WalletError
from wallet.services import webhooks as services

WebhookEventType = strawberry.enum(
    models.WebhookEndpoint.EventType,
    name="WebhookEventType",
    description="The events an endpoint can receive (the event catalogue's types).",
)
WebhookDeliveryStatus = strawberry.enum(
    models.WebhookDelivery.Status,
    name="WebhookDeliveryStatus",
    description="PENDING until an attempt gets a 2xx (SUCCEEDED) or every retry failed (FAILED).",
)


@strawberry.type(description="A URL that receives the owner's events, signed with the endpoint's secret.")
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    event_types: list[WebhookEventType]
    enabled: bool
    disabled_reason: str | None = strawberry.field(description="Why the service disabled it, if it did.")
    created_at: datetime

    @classmethod
    def of(cls, endpoint: models.WebhookEndpoint) -> "WebhookEndpoint":
        return cls(
            id=strawberry.ID(str(endpoint.pk)),
            url=endpoint.url,
            event_types=[WebhookEventType(kind) for kind in endpoint.event_types],
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason or None,
            created_at=endpoint.created_at,
        )


@strawberry.type(description="One try of a delivery.")
class WebhookAttempt:
    attempted_at: datetime
    status_code: int | None = strawberry.field(description="The receiver's HTTP status; null if it never answered.")
    error: str | None
    duration_ms: int


@strawberry.type(description="One event sent to one endpoint, with its attempts.")
class WebhookDelivery:
    id: strawberry.ID
    endpoint_id: strawberry.ID
    event_id: str = strawberry.field(description="The `webhook-id` header of every attempt: the same on each retry.")
    event_type: WebhookEventType
    status: WebhookDeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None = strawberry.field(description="When the next retry is due, while PENDING.")
    created_at: datetime
    delivered_at: datetime | None
    redelivery: bool = strawberry.field(description="Asked for by hand (redeliverWebhook).")
    payload: JSON = strawberry.field(description="The JSON body every attempt sends.")
    attempt_log: list[WebhookAttempt] = strawberry.field(description="Every attempt, oldest first.")

    @classmethod
    def of(cls, delivery: models.WebhookDelivery) -> "WebhookDelivery":
        return cls(
            id=strawberry.ID(str(delivery.pk)),
            endpoint_id=strawberry.ID(str(delivery.endpoint_id)),
            event_id=str(delivery.event_id),
            event_type=WebhookEventType(delivery.event_type),
            status=WebhookDeliveryStatus(delivery.status),
            attempts=delivery.attempts,
            last_status_code=delivery.last_status_code,
            last_error=delivery.last_error or None,
            next_attempt_at=delivery.next_attempt_at if delivery.status == delivery.Status.PENDING else None,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
            redelivery=bool(delivery.idempotency_key),
            payload=json.loads(delivery.body),
            attempt_log=[
                WebhookAttempt(
                    attempted_at=attempt.attempted_at,
                    status_code=attempt.status_code,
                    error=attempt.error or None,
                    duration_ms=attempt.duration_ms,
                )
                for attempt in delivery.attempt_log.all()
            ],
        )


@strawberry.input
class CreateWebhookEndpointInput:
    url: str = strawberry.field(description="http(s); private and loopback addresses are refused in production.")
    event_types: list[WebhookEventType]
    enabled: bool = True


@strawberry.type
class WebhookEndpointSecretPayload:
    endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(
        default=None, description="The signing secret (whsec_…), shown this once: store it now."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateWebhookEndpointInput:
    id: strawberry.ID
    url: str | None = strawberry.field(default=None, description="Left as it is when omitted.")
    event_types: list[WebhookEventType] | None = strawberry.field(default=None, description="As url.")
    enabled: bool | None = strawberry.field(default=None, description="As url; true again re-enables a disabled one.")


@strawberry.type
class UpdateWebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class WebhookEndpointIdInput:
    id: strawberry.ID


@strawberry.type
class DeleteWebhookEndpointPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RedeliverWebhookInput:
    delivery_id: strawberry.ID
    idempotency_key: str = strawberry.field(description="1-255 characters; the same key again sends nothing more.")


@strawberry.type
class RedeliverWebhookPayload:
    delivery: WebhookDelivery | None = strawberry.field(default=None, description="The new delivery, due now.")
    errors: list[UserError] = strawberry.field(default_factory=list)


def _pk(value: strawberry.ID) -> int | None:
    return int(value) if str(value).isdigit() else None


@strawberry.type
class WebhookQueries:
    @strawberry.field(permission_classes=WEBHOOKS, description="The viewer's webhook endpoints, newest first.")
    def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        return [WebhookEndpoint.of(endpoint) for endpoint in selectors.webhook_endpoints_for(owner=viewer(info))]

    @strawberry.field(
        permission_classes=WEBHOOKS,
        description="The delivery log of the viewer's endpoints (or one of them), newest first.",
    )
    def webhook_deliveries(
        self,
        info: Info,
        endpoint_id: strawberry.ID | None = None,
        status: WebhookDeliveryStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[WebhookDelivery]:
        queryset = selectors.webhook_deliveries_for(
            owner=viewer(info),
            endpoint_id=_pk(endpoint_id) if endpoint_id is not None else None,
            status=status.value if status else None,
        )
        page = Connection.page(queryset, first=first, after=after)
        for edge in page.edges:
            edge.node = WebhookDelivery.of(edge.node)
        return page


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(permission_classes=WEBHOOKS, description="Add an endpoint; its secret is shown once.")
    def create_webhook_endpoint(self, info: Info, input: CreateWebhookEndpointInput) -> WebhookEndpointSecretPayload:
        try:
            issued = services.webhook_endpoint_create(
                owner=viewer(info),
                url=input.url,
                event_types=[kind.value for kind in input.event_types],
                enabled=input.enabled,
            )
        except (WalletError, ValidationFailed) as exc:
            return WebhookEndpointSecretPayload(errors=user_errors(exc))
        return WebhookEndpointSecretPayload(endpoint=WebhookEndpoint.of(issued.endpoint), secret=issued.secret)

    @strawberry.mutation(permission_classes=WEBHOOKS, description="Change an endpoint's URL, event types or flag.")
    def update_webhook_endpoint(self, info: Info, input: UpdateWebhookEndpointInput) -> UpdateWebhookEndpointPayload:
        changes = {
            name: value
            for name, value in (
                ("url", input.url),
                ("event_types", [kind.value for kind in input.event_types] if input.event_types is not None else None),
                ("enabled", input.enabled),
            )
            if value is not None
        }
        try:
            endpoint = services.webhook_endpoint_update(owner=viewer(info), endpoint_id=_pk(input.id), **changes)
        except (WalletError, ValidationFailed) as exc:
            return UpdateWebhookEndpointPayload(errors=user_errors(exc))
        return UpdateWebhookEndpointPayload(endpoint=WebhookEndpoint.of(endpoint))

    @strawberry.mutation(permission_classes=WEBHOOKS, description="Delete an endpoint and its delivery log.")
    def delete_webhook_endpoint(self, info: Info, input: WebhookEndpointIdInput) -> DeleteWebhookEndpointPayload:
        try:
            deleted = services.webhook_endpoint_delete(owner=viewer(info), endpoint_id=_pk(input.id))
        except WalletError as exc:
            return DeleteWebhookEndpointPayload(errors=[user_error(exc)])
        return DeleteWebhookEndpointPayload(deleted_id=strawberry.ID(str(deleted)))

    @strawberry.mutation(
        permission_classes=WEBHOOKS,
        description="A new signing secret, shown once; the old one keeps signing too for a grace period (24 h).",
    )
    def rotate_webhook_secret(self, info: Info, input: WebhookEndpointIdInput) -> WebhookEndpointSecretPayload:
        try:
            issued = services.webhook_secret_rotate(owner=viewer(info), endpoint_id=_pk(input.id))
        except WalletError as exc:
            return WebhookEndpointSecretPayload(errors=[user_error(exc)])
        return WebhookEndpointSecretPayload(endpoint=WebhookEndpoint.of(issued.endpoint), secret=issued.secret)

    @strawberry.mutation(
        permission_classes=WEBHOOKS,
        description="Send a delivery's event again (same webhook-id and body) as a new delivery, due now.",
    )
    def redeliver_webhook(self, info: Info, input: RedeliverWebhookInput) -> RedeliverWebhookPayload:
        try:
            delivery = services.webhook_redeliver(
                owner=viewer(info), delivery_id=_pk(input.delivery_id), idempotency_key=input.idempotency_key
            )
        except WalletError as exc:
            return RedeliverWebhookPayload(errors=[user_error(exc)])
        return RedeliverWebhookPayload(delivery=WebhookDelivery.of(delivery))
