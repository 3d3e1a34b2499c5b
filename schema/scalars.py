"""The strict `Decimal` scalar: money travels as a plain decimal string, never a float."""

import re
from decimal import Decimal

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
