from decimal import Decimal

import strawberry
from django.conf import settings
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.schema.config import StrawberryConfig
from strawberry.utils.logging import StrawberryLogger

from schema.errors import MaskUnexpectedErrors, is_unexpected
from schema.mutations import Mutation
from schema.queries import Query
from schema.realtime import Subscription
from schema.scalars import DecimalScalar
from schema.types import LedgerEntryNode, TransactionNode, UserNode, WalletNode


def is_introspection(context) -> bool:
    # Introspection's depth is fixed by the schema, not by the client; GraphiQL
    # and codegen need it whole.
    return context.field_name.startswith("__")


# Built once: the validation cache keys on the rule classes, so fresh classes
# per request (as QueryDepthLimiter/MaxAliasesLimiter make) would never hit it.
DOCUMENT_LIMITS = [
    max_depth_rule(settings.GRAPHQL_MAX_DEPTH, is_introspection),
    max_aliases_rule(settings.GRAPHQL_MAX_ALIASES),
]


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
    subscription=Subscription,
    types=[UserNode, WalletNode, TransactionNode, LedgerEntryNode],
    config=StrawberryConfig(scalar_map={Decimal: DecimalScalar}),
    # Factories, so that each request gets fresh extension instances.
    extensions=[
        MaskUnexpectedErrors,
        # Clients send the same few documents over and over: parse and validate each once.
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
        lambda: AddValidationRules(DOCUMENT_LIMITS),
        lambda: MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS),
    ],
)
