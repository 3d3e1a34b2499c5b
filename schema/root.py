from decimal import Decimal

import strawberry
from django.conf import settings
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.utils.logging import StrawberryLogger

from schema.errors import MaskUnexpectedErrors, is_unexpected
from schema.mutations import Mutation
from schema.queries import Query
from schema.scalars import DecimalScalar
from schema.types import LedgerEntryNode, TransactionNode, UserNode, WalletNode


def is_introspection(context) -> bool:
    # Introspection's depth is fixed by the schema, not by the client; GraphiQL
    # and codegen need it whole.
    return context.field_name.startswith("__")


class WalletSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        # Log what the client will see masked, with its traceback; refusals
        # (bad input, missing token) are the client's business, not the log's.
        for error in errors:
            if is_unexpected(error):
                StrawberryLogger.error(error, execution_context)


schema = WalletSchema(
    query=Query,
    mutation=Mutation,
    types=[UserNode, WalletNode, TransactionNode, LedgerEntryNode],
    config=StrawberryConfig(scalar_map={Decimal: DecimalScalar}),
    # Factories, so that each request gets fresh extension instances.
    extensions=[
        MaskUnexpectedErrors,
        lambda: QueryDepthLimiter(max_depth=settings.GRAPHQL_MAX_DEPTH, should_ignore=is_introspection),
        lambda: MaxAliasesLimiter(max_alias_count=settings.GRAPHQL_MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS),
    ],
)
