"""walletEvents: the viewer's balance changes and transactions, pushed over WebSocket as they commit.

A client authenticates when it connects: the graphql-transport-ws `connection_init`
payload carries `{"authToken": "<access token>"}`. The events come from the outbox
(`consume_events --consumer realtime` sends each to its wallets' channel groups).
"""

from collections.abc import AsyncGenerator
from decimal import Decimal

import strawberry
from asgiref.sync import sync_to_async
from graphql import GraphQLError
from strawberry import relay
from strawberry.channels import GraphQLWSConsumer
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types import Info

from schema.types import TransactionKind, TransactionStatus
from wallet.services import user_from_access_token

EVENT_MESSAGE_TYPE = "wallet.event"


def wallet_group(wallet_id: int) -> str:
    return f"wallet.{wallet_id}"


@strawberry.type(description="Something that happened to the viewer's wallet.")
class WalletEvent:
    event_id: strawberry.ID
    type: str = strawberry.field(description="transaction.succeeded, transaction.failed or transaction.pending.")
    transaction_id: strawberry.ID
    kind: TransactionKind
    status: TransactionStatus
    amount: Decimal
    balance: Decimal | None = strawberry.field(description="The viewer's balance after it, if it moved the balance.")


def _event_for_wallet(event: dict, wallet_id: int) -> WalletEvent:
    mine = [e for e in event["entries"] if e["wallet_id"] == wallet_id and not e.get("pending")]
    return WalletEvent(
        event_id=event["event_id"],
        type=event["type"],
        transaction_id=relay.GlobalID("Transaction", str(event["transaction_id"])),
        kind=TransactionKind(event["kind"]),
        status=TransactionStatus(event["status"]),
        amount=Decimal(event["amount"]),
        balance=Decimal(mine[-1]["balance_after"]) if mine else None,
    )


async def _connected_user(info: Info):
    token = (info.context.get("connection_params") or {}).get("authToken")
    user = await sync_to_async(user_from_access_token)(token) if token else None
    if user is None:
        raise GraphQLError(
            "Authentication required: connect with a valid authToken.", extensions={"code": "UNAUTHENTICATED"}
        )
    return user


@strawberry.type
class Subscription:
    @strawberry.subscription(description="The viewer's wallet events, as they commit.")
    async def wallet_events(self, info: Info) -> AsyncGenerator[WalletEvent, None]:
        user = await _connected_user(info)
        wallet_id = user.wallet.pk
        async with info.context["ws"].listen_to_channel(
            EVENT_MESSAGE_TYPE, groups=[wallet_group(wallet_id)]
        ) as messages:
            async for message in messages:
                # The wallet's group also hears its payment requests' events, which are not movements: this
                # subscription's type is a movement's, so it passes them over.
                if message["event"]["type"].startswith("transaction."):
                    yield _event_for_wallet(message["event"], wallet_id)


class WalletEventsConsumer(GraphQLWSConsumer):
    async def on_ws_connect(self, context):
        token = (context.get("connection_params") or {}).get("authToken")
        if not token or await sync_to_async(user_from_access_token)(token) is None:
            raise ConnectionRejectionError({"code": "UNAUTHENTICATED"})
        return None
