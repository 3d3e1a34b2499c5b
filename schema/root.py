import logging
from datetime import datetime
from decimal import Decimal

import strawberry
from django.conf import settings
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.utils.logging import StrawberryLogger

from schema.errors import MaskUnexpectedErrors, is_unexpected
from schema.guards import HideFieldSuggestions, MaxDirectivesLimiter, RefuseNulCharacters, document_rules
from schema.mutations import Mutation
from schema.payment_requests import PaymentRequestNode
from schema.queries import Query
from schema.realtime import Subscription
from schema.scalars import DateTimeScalar, DecimalScalar
from schema.types import LedgerEntryNode, TransactionNode, UserNode, WalletNode
from wallet.services.retries import retryable_error

logger = logging.getLogger(__name__)


# Built once: see schema.guards.document_rules.
DOCUMENT_LIMITS = document_rules()


class WalletSchema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        # Log what the client will see masked, with its traceback; refusals
        # (bad input, missing token) are the client's business, not the log's.
        for error in errors:
            transient = retryable_error(error.original_error)
            if transient is not None:
                # Expected while the database is away or a wallet is contended: one line, no traceback.
                logger.warning("%s: %s", transient.code, error.original_error)
            elif is_unexpected(error):
                StrawberryLogger.error(error, execution_context)


schema = WalletSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[UserNode, WalletNode, TransactionNode, LedgerEntryNode, PaymentRequestNode],
    config=StrawberryConfig(scalar_map={Decimal: DecimalScalar, datetime: DateTimeScalar}),
    # Factories, so that each request gets fresh extension instances.
    extensions=[
        MaskUnexpectedErrors,
        # Clients send the same few documents over and over: parse and validate each once.
        lambda: ParserCache(maxsize=512),
        MaxDirectivesLimiter,
        RefuseNulCharacters,
        lambda: ValidationCache(maxsize=512),
        lambda: AddValidationRules(DOCUMENT_LIMITS),
        lambda: MaxTokensLimiter(max_token_count=settings.GRAPHQL_MAX_TOKENS),
        *([] if settings.GRAPHQL_FIELD_SUGGESTIONS else [HideFieldSuggestions]),
    ],
)
