"""Payload errors: domain refusals become `UserError`s; transient failures become retryable top-level errors;
unexpected errors are masked."""

import logging

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaskErrors
from strawberry.utils.str_converters import to_camel_case

from wallet.errors import ErrorCode as DomainErrorCode
from wallet.errors import RetryableError, ValidationFailed, WalletError
from wallet.services.retries import retryable_error

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
        transient = retryable_error(error.original_error)
        if transient is not None:
            # Not a bug: the client is told to retry, and none of the database's own words leak.
            return retryable_graphql_error(transient, error)
        masked = super().anonymise_error(error)
        masked.extensions = {"code": "INTERNAL_SERVER_ERROR"}
        return masked


def retryable_graphql_error(transient: RetryableError, error: GraphQLError | None = None) -> GraphQLError:
    """A top-level error the client answers by retrying with the same idempotency key."""
    return GraphQLError(
        message=transient.message,
        nodes=error.nodes if error else None,
        source=error.source if error else None,
        positions=error.positions if error else None,
        path=error.path if error else None,
        extensions={"code": transient.code, "retryable": True},
    )


def is_retryable(formatted_error: dict) -> bool:
    return (formatted_error.get("extensions") or {}).get("retryable") is True


_MASK = MaskUnexpectedErrors()


def mask_unexpected(error: GraphQLError) -> GraphQLError:
    """The error as a client may see it: our own and GraphQL's as they are, anything else masked (and logged)."""
    if not is_unexpected(error) or error.extensions == {"code": "INTERNAL_SERVER_ERROR"}:
        return error
    logger.error("Unexpected error outside execution", exc_info=error.original_error)
    return _MASK.anonymise_error(error)
