"""The history's search filters (`Query.transactions`): checked here, applied by
`wallet.selectors.transactions_for_user`. A bad filter is a top-level BAD_USER_INPUT error naming the argument,
like the paging errors: it is a malformed query, not a refused operation."""

from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry
from django.utils import timezone
from graphql import GraphQLError

from wallet.money import currency_places
from wallet.selectors import Direction, TransactionSearch

NOTE_CONTAINS_MAX_LENGTH = 100


@strawberry.enum(
    description="The viewer's side of a movement: IN when their wallet received it, OUT when their wallet sent it."
)
class TransactionDirection(Enum):
    IN = "IN"
    OUT = "OUT"


def bad_filter(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def _moment(value: datetime | None) -> datetime | None:
    # A moment without an offset is read in the server's TIME_ZONE, as balanceAt reads it.
    if value is None or timezone.is_aware(value):
        return value
    return timezone.make_aware(value)


def _amount(value: Decimal | None, argument: str) -> Decimal | None:
    if value is None:
        return None
    if value < 0:
        raise bad_filter(f"'{argument}' cannot be negative.")
    if value != value.quantize(Decimal(1).scaleb(-currency_places()), rounding="ROUND_DOWN"):
        raise bad_filter(f"'{argument}' has more than {currency_places()} decimal places.")
    return value


def transaction_search(
    *,
    created_from: datetime | None,
    created_to: datetime | None,
    min_amount: Decimal | None,
    max_amount: Decimal | None,
    counterparty: str | None,
    direction: TransactionDirection | None,
    note_contains: str | None,
) -> TransactionSearch | None:
    """The checked filters, or None when none is given (the plain history)."""
    created_from, created_to = _moment(created_from), _moment(created_to)
    if created_from is not None and created_to is not None and created_from > created_to:
        raise bad_filter("'createdFrom' must not be after 'createdTo'.")
    min_amount, max_amount = _amount(min_amount, "minAmount"), _amount(max_amount, "maxAmount")
    if min_amount is not None and max_amount is not None and min_amount > max_amount:
        raise bad_filter("'minAmount' must not be more than 'maxAmount'.")
    if note_contains is not None and not 1 <= len(note_contains) <= NOTE_CONTAINS_MAX_LENGTH:
        raise bad_filter(f"'noteContains' must be 1 to {NOTE_CONTAINS_MAX_LENGTH} characters.")
    search = TransactionSearch(
        created_from=created_from,
        created_to=created_to,
        min_amount=min_amount,
        max_amount=max_amount,
        counterparty=counterparty,
        direction=Direction(direction.value) if direction is not None else None,
        note_contains=note_contains,
    )
    return None if search == TransactionSearch() else search
