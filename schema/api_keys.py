"""API keys for a merchant's servers: created and revoked by the signed-in owner (never by a key)."""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from schema.errors import UserError, user_error, user_errors
from schema.permissions import PERSONS, viewer
from wallet import models
from wallet.errors import ValidationFailed, WalletError
from wallet.services.api_keys import api_key_create, api_key_revoke


@strawberry.enum(description="What an API key may do: read the owner's data, move money, hold money, manage webhooks.")
class ApiKeyScope(Enum):
    READ = "READ"
    MOVE_MONEY = "MOVE_MONEY"
    HOLDS = "HOLDS"
    WEBHOOKS = "WEBHOOKS"


@strawberry.type(name="ApiKey", description="A credential for a server: send it as 'Authorization: ApiKey <key>'.")
class ApiKeyNode:
    id: strawberry.ID
    name: str
    prefix: str = strawberry.field(description="The key's public part, to tell keys apart (wk_<prefix>_…).")
    scopes: list[ApiKeyScope]
    created_at: datetime
    last_used_at: datetime | None = strawberry.field(description="To the minute.")
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: models.ApiKey) -> "ApiKeyNode":
        return cls(
            id=strawberry.ID(str(key.pk)),
            name=key.name,
            prefix=key.prefix,
            scopes=[ApiKeyScope(scope) for scope in key.scopes],
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
        )


@strawberry.input
class CreateApiKeyInput:
    name: str
    scopes: list[ApiKeyScope]
    expires_in_days: int | None = strawberry.field(default=None, description="1 to 3650; omit for no expiry.")


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKeyNode | None = None
    key: str | None = strawberry.field(default=None, description="The whole key, shown this once: store it now.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RevokeApiKeyInput:
    id: strawberry.ID


@strawberry.type
class RevokeApiKeyPayload:
    api_key: ApiKeyNode | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiKeyQueries:
    @strawberry.field(permission_classes=PERSONS, description="The viewer's API keys, newest first, revoked ones too.")
    def api_keys(self, info: Info) -> list[ApiKeyNode]:
        return [ApiKeyNode.of(key) for key in viewer(info).api_keys.order_by("-id")]


@strawberry.type
class ApiKeyMutations:
    @strawberry.mutation(permission_classes=PERSONS, description="Create an API key; its secret is shown once.")
    def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        try:
            issued = api_key_create(
                owner=viewer(info),
                name=input.name,
                scopes=[scope.value for scope in input.scopes],
                expires_in_days=input.expires_in_days,
            )
        except ValidationFailed as exc:
            return CreateApiKeyPayload(errors=user_errors(exc))
        return CreateApiKeyPayload(api_key=ApiKeyNode.of(issued.key), key=issued.secret)

    @strawberry.mutation(permission_classes=PERSONS, description="Revoke an API key: it stops working at once.")
    def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> RevokeApiKeyPayload:
        key_id = int(input.id) if str(input.id).isdigit() else None
        try:
            key = api_key_revoke(owner=viewer(info), key_id=key_id)
        except WalletError as exc:
            return RevokeApiKeyPayload(errors=[user_error(exc)])
        return RevokeApiKeyPayload(api_key=ApiKeyNode.of(key))
