"""The strict `Decimal` scalar: money travels as a plain decimal string, never a float. And `DateTime`, whose
unparseable values are the client's error (BAD_USER_INPUT) like any other bad argument."""

import re
from datetime import datetime
from decimal import Decimal

import dateutil.parser
import strawberry
from graphql import GraphQLError, StringValueNode, ValueNode

# Plain decimal strings only: no exponent, sign other than "-", separators,
# spaces or non-ASCII digits. Rules such as "greater than zero" are the
# domain's (INVALID_AMOUNT in the payload); this only guards the format.
PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,30}(\.[0-9]{1,30})?", re.ASCII)


def parse_decimal(value: object) -> Decimal:
    if not isinstance(value, str) or not PLAIN_DECIMAL.fullmatch(value):
        raise GraphQLError(
            f"Decimal must be a string of digits with an optional '.' and fraction, such as \"12.50\"; got {value!r}.",
            extensions={"code": "BAD_USER_INPUT"},
        )
    return Decimal(value)


def parse_decimal_literal(node: ValueNode, variables: dict | None = None) -> Decimal:
    if not isinstance(node, StringValueNode):
        raise GraphQLError('Decimal literals must be strings, such as "12.50".', extensions={"code": "BAD_USER_INPUT"})
    return parse_decimal(node.value)


def serialize_decimal(value: Decimal) -> str:
    return str(value)


DecimalScalar = strawberry.scalar(
    name="Decimal",
    description='An exact decimal amount sent and received as a string, e.g. "12.50".',
    serialize=serialize_decimal,
    parse_value=parse_decimal,
    parse_literal=parse_decimal_literal,
)


def parse_datetime(value: object) -> datetime:
    """ISO 8601, as strawberry's own DateTime reads it; anything else is BAD_USER_INPUT (strawberry's gives no code)."""
    if isinstance(value, str):
        try:
            return dateutil.parser.isoparse(value)
        except (ValueError, OverflowError):
            pass
    raise GraphQLError(
        f'DateTime must be an ISO 8601 string, such as "2026-11-30T15:00:00Z"; got {value!r}.',
        extensions={"code": "BAD_USER_INPUT"},
    )


def parse_datetime_literal(node: ValueNode, variables: dict | None = None) -> datetime:
    if not isinstance(node, StringValueNode):
        raise GraphQLError(
            'DateTime literals must be strings, such as "2026-11-30T15:00:00Z".', extensions={"code": "BAD_USER_INPUT"}
        )
    return parse_datetime(node.value)


# The same name, description and serialisation as strawberry's: the schema is unchanged, only its errors improve.
DateTimeScalar = strawberry.scalar(
    name="DateTime",
    description="Date with time (isoformat)",
    serialize=datetime.isoformat,
    parse_value=parse_datetime,
    parse_literal=parse_datetime_literal,
)
