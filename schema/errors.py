"""Payload errors: domain refusals become `UserError`s; unexpected errors are masked."""

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.utils.str_converters import to_camel_case

from wallet.errors import ErrorCode as DomainErrorCode
from wallet.errors import ValidationFailed, WalletError

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode", description="Why a mutation was refused.")

logger = logging.getLogger(__name__)


@strawberry.type
class UserError:
    code: ErrorCode
    field: str | None = strawberry.field(
        description="The input field at fault, in camelCase; null for the whole input."
    )
    message: str


def user_error(error: WalletError) -> UserError:
    return UserError(code=error.code, field=to_camel_case(error.field) if error.field else None, message=error.message)


def user_errors(exc: WalletError | ValidationFailed) -> list[UserError]:
    errors = exc.errors if isinstance(exc, ValidationFailed) else [exc]
    return [user_error(error) for error in errors]


def is_unexpected(error: GraphQLError) -> bool:
    """Mask errors raised by our code or its libraries; keep GraphQL's own (syntax, validation, auth)."""
    original = error.original_error
    return original is not None and not isinstance(original, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Internal server error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked
