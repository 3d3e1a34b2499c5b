from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import Info

from schema.api_keys import ApiKeyQueries
from schema.controls import ControlQueries
from schema.ids import parse_global_id
from schema.pagination import Connection
from schema.payment_requests import PaymentRequestQueries
from schema.permissions import READS, viewer
from schema.search import TransactionDirection, transaction_search
from schema.selection import selected_names
from schema.standing_orders import StandingOrderQueries
from schema.statements import StatementQueries
from schema.types import (
    LedgerEntryNode,
    TransactionKind,
    TransactionNode,
    TransactionStatus,
    UserNode,
    WalletNode,
)
from schema.webhooks import WebhookQueries
from server.db_routers import history_reads
from wallet import selectors
from wallet.models import Transaction


def _viewers_object(info: Info, value: str):
    """The viewer's own object behind a global ID; others' objects look exactly like missing ones."""
    parsed = parse_global_id(value)
    if parsed is None:
        return None
    type_name, pk = parsed
    user = viewer(info)
    if type_name == "User":
        return user if user.pk == pk else None
    if type_name == "Wallet":
        wallet = selectors.wallet_for_user(user=user)
        return wallet if wallet.pk == pk else None
    if type_name == "Transaction":
        return selectors.transaction_for_user(user=user, transaction_id=pk)
    if type_name == "LedgerEntry":
        return selectors.ledger_entry_for_user(user=user, entry_id=pk)
    if type_name == "StandingOrder":
        return selectors.standing_order_for(owner=user, standing_order_id=pk)
    if type_name == "PaymentRequest":
        return selectors.payment_request_for_user(user=user, payment_request_id=pk)
    return None


@strawberry.type
class Query(
    ApiKeyQueries, WebhookQueries, StandingOrderQueries, PaymentRequestQueries, StatementQueries, ControlQueries
):
    @strawberry.field(permission_classes=READS, description="The signed-in user.")
    def me(self, info: Info) -> UserNode:
        return viewer(info)

    @strawberry.field(permission_classes=READS, description="The signed-in user's wallet.")
    def wallet(self, info: Info) -> WalletNode:
        return selectors.wallet_for_user(user=viewer(info))

    @strawberry.field(
        permission_classes=READS,
        description="The viewer's transactions, newest first: what they initiated (failed attempts too) "
        "and what reached their wallet. `first` defaults to 20 and is capped at 100.",
    )
    def transactions(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        kind: TransactionKind | None = None,
        status: TransactionStatus | None = None,
        reference: Annotated[
            str | None, strawberry.argument(description="Only movements with this reference (the initiator's own id).")
        ] = None,
        metadata_key: Annotated[
            str | None, strawberry.argument(description="With metadataValue: only movements whose metadata has it.")
        ] = None,
        metadata_value: str | None = None,
        created_from: Annotated[
            datetime | None, strawberry.argument(description="Only movements created at or after this moment.")
        ] = None,
        created_to: Annotated[
            datetime | None, strawberry.argument(description="Only movements created before this moment.")
        ] = None,
        min_amount: Annotated[
            Decimal | None, strawberry.argument(description="Only movements of at least this amount.")
        ] = None,
        max_amount: Annotated[
            Decimal | None, strawberry.argument(description="Only movements of at most this amount.")
        ] = None,
        counterparty: Annotated[
            str | None,
            strawberry.argument(
                description="Only movements between the viewer's wallet and this user's (the other side's "
                "username). Nobody by that name: an empty page."
            ),
        ] = None,
        direction: Annotated[
            TransactionDirection | None,
            strawberry.argument(description="IN: the viewer's wallet received it. OUT: the viewer's wallet sent it."),
        ] = None,
        note_contains: Annotated[
            str | None,
            strawberry.argument(
                description="Only movements whose note contains this text (1 to 100 characters, any case)."
            ),
        ] = None,
    ) -> Connection[TransactionNode]:
        if (metadata_key is None) != (metadata_value is None):
            raise GraphQLError("Give metadataKey and metadataValue together.", extensions={"code": "BAD_USER_INPUT"})
        search = transaction_search(
            created_from=created_from,
            created_to=created_to,
            min_amount=min_amount,
            max_amount=max_amount,
            counterparty=counterparty,
            direction=direction,
            note_contains=note_contains,
        )
        shown = selected_names(info, "edges", "node")
        queryset = selectors.transactions_for_user(
            user=viewer(info),
            kind=kind.value if kind else None,
            status=status.value if status else None,
            with_parties=bool(shown & {"sender", "receiver"}),
            with_entries="entries" in shown,
            with_hold_states="holdState" in shown,
            with_metadata="metadata" in shown,
            reference=reference,
            metadata={metadata_key: metadata_value} if metadata_key is not None else None,
            search=search,
        )
        with history_reads():
            return Connection.page(queryset, first=first, after=after)

    @strawberry.field(permission_classes=READS, description="Null unless it is the viewer's.")
    def transaction(self, info: Info, id: strawberry.ID) -> TransactionNode | None:
        found = _viewers_object(info, id)
        return found if isinstance(found, Transaction) else None

    @strawberry.field(
        permission_classes=READS,
        description="The viewer's wallet entries, newest first. `first` defaults to 20 and is capped at 100.",
    )
    def ledger_entries(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[LedgerEntryNode]:
        with history_reads():
            return Connection.page(selectors.ledger_entries_for_user(user=viewer(info)), first=first, after=after)

    @strawberry.field(permission_classes=READS, description="Any of the viewer's own objects by global ID.")
    def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return _viewers_object(info, id)
