"""The wallet's error vocabulary: one enum of codes, one exception that carries a code."""

from enum import Enum


class ErrorCode(Enum):
    INVALID_AMOUNT = "INVALID_AMOUNT"
    INVALID_INPUT = "INVALID_INPUT"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    RECEIVER_NOT_FOUND = "RECEIVER_NOT_FOUND"
    SELF_TRANSFER = "SELF_TRANSFER"
    DAILY_LIMIT_EXCEEDED = "DAILY_LIMIT_EXCEEDED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    INVALID_MOBILE_NUMBER = "INVALID_MOBILE_NUMBER"
    USERNAME_TAKEN = "USERNAME_TAKEN"
    MOBILE_NUMBER_TAKEN = "MOBILE_NUMBER_TAKEN"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    INVALID_TOKEN = "INVALID_TOKEN"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    TRANSACTION_NOT_FOUND = "TRANSACTION_NOT_FOUND"
    NOT_REVERSIBLE = "NOT_REVERSIBLE"
    REVERSAL_EXCEEDS_ORIGINAL = "REVERSAL_EXCEEDS_ORIGINAL"
    HOLD_NOT_FOUND = "HOLD_NOT_FOUND"
    HOLD_ALREADY_RESOLVED = "HOLD_ALREADY_RESOLVED"
    HOLD_EXPIRED = "HOLD_EXPIRED"
    CAPTURE_EXCEEDS_HOLD = "CAPTURE_EXCEEDS_HOLD"
    LINKED_TRANSFER_FAILED = "LINKED_TRANSFER_FAILED"
    RATE_LIMITED = "RATE_LIMITED"
    REFERENCE_ALREADY_USED = "REFERENCE_ALREADY_USED"
    STANDING_ORDER_NOT_FOUND = "STANDING_ORDER_NOT_FOUND"
    PAYMENT_REQUEST_NOT_FOUND = "PAYMENT_REQUEST_NOT_FOUND"
    PAYMENT_REQUEST_NOT_PENDING = "PAYMENT_REQUEST_NOT_PENDING"
    WALLET_FROZEN = "WALLET_FROZEN"
    MONTHLY_LIMIT_EXCEEDED = "MONTHLY_LIMIT_EXCEEDED"
    BALANCE_LIMIT_EXCEEDED = "BALANCE_LIMIT_EXCEEDED"
    TRANSACTION_LIMIT_EXCEEDED = "TRANSACTION_LIMIT_EXCEEDED"
    FREEZE_NOT_FOUND = "FREEZE_NOT_FOUND"


# The failure codes a movement can be recorded with (status FAILED). A replay
# rebuilds its error from the stored code, so the message must come from here.
FAILURE_MESSAGES = {
    ErrorCode.INSUFFICIENT_FUNDS: "The wallet balance is too low for this amount.",
    ErrorCode.DAILY_LIMIT_EXCEEDED: "This amount would exceed the wallet's daily transfer limit.",
    ErrorCode.RECEIVER_NOT_FOUND: "No wallet user matches this receiver.",
    ErrorCode.SELF_TRANSFER: "You cannot send money to your own wallet.",
    ErrorCode.CURRENCY_MISMATCH: "The receiving wallet holds a different currency.",
    ErrorCode.REVERSAL_EXCEEDS_ORIGINAL: "Reversals of a transaction cannot add up to more than its amount.",
    ErrorCode.LINKED_TRANSFER_FAILED: "Another transfer of this atomic batch was refused, so none of them moved.",
    ErrorCode.REFERENCE_ALREADY_USED: "A movement of yours already succeeded with this reference.",
    ErrorCode.WALLET_FROZEN: "A wallet of this movement is frozen for it.",
    ErrorCode.MONTHLY_LIMIT_EXCEEDED: "This amount would exceed the wallet's monthly transfer limit.",
    ErrorCode.BALANCE_LIMIT_EXCEEDED: "This amount would take the receiving wallet past its maximum balance.",
    ErrorCode.TRANSACTION_LIMIT_EXCEEDED: "This amount is over the wallet's per-transaction maximum.",
}


class WalletError(Exception):
    """A refusal the client can act on; `field` names the offending input (snake_case)."""

    def __init__(self, code: ErrorCode, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class ValidationFailed(Exception):
    """Several WalletErrors found while validating one input (e.g. registration)."""

    def __init__(self, errors: list[WalletError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = errors


class RetryableError(Exception):
    """A request that failed for a passing reason, not because of its input. It is never a payload error: the API
    answers it as a top-level error whose `extensions` carry `code` and `retryable: true`. The client retries the
    same request with the same idempotency key: the retry replays what was stored, or runs it now."""

    code = "RETRY_LATER"
    default_message = (
        "The request could not be completed now; nothing was done. Retry it with the same idempotency key."
    )

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class WalletBusy(RetryableError):
    """A wallet stayed locked by other movements past WALLET_LOCK_TIMEOUT_MS, a statement ran past
    WALLET_STATEMENT_TIMEOUT_MS, or a deadlock or serialization failure outlasted the retries. Nothing was
    committed."""

    code = "RETRY_LATER"
    default_message = "The wallet is busy with other movements; nothing was done. Retry with the same idempotency key."


class ServiceUnavailable(RetryableError):
    """The database cannot be reached, refuses connections or broke the connection. If that happened while a
    movement committed, its outcome is unknown to the server: the retry with the same idempotency key tells it."""

    code = "SERVICE_UNAVAILABLE"
    default_message = (
        "The service is temporarily unavailable. Retry with the same idempotency key: a movement that did happen "
        "is replayed, not repeated."
    )
