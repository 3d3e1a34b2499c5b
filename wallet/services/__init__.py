"""Writes. Money moves only through the posting engine (`posting`); `ledger`, `holds` and `batches` build
what to post."""

from wallet.services.batches import BatchItem, BatchResult, transfer_batch_create
from wallet.services.holds import hold_capture, hold_create, hold_void, holds_release_expired
from wallet.services.ledger import (
    MovementResult,
    mobile_payment_create,
    money_add,
    reversal_create,
    transfer_create,
    withdrawal_create,
)
from wallet.services.payment_requests import (
    payment_request_approve,
    payment_request_cancel,
    payment_request_create,
    payment_request_decline,
    payment_requests_expire,
)
from wallet.services.posting import Tags, failure_error
from wallet.services.receipts import receipt_for_token, receipt_for_viewer, receipt_link_token, receipts_request
from wallet.services.scheduler import scheduler_pass
from wallet.services.standing_orders import (
    standing_order_cancel,
    standing_order_create,
    standing_order_pause,
    standing_order_resume,
    standing_orders_run_due,
)
from wallet.services.tokens import (
    IssuedTokens,
    refresh_token_revoke,
    token_verify,
    tokens_issue,
    tokens_obtain,
    tokens_refresh,
    user_from_access_token,
)
from wallet.services.users import user_register, wallet_set_daily_limit

__all__ = [
    "BatchItem",
    "BatchResult",
    "IssuedTokens",
    "MovementResult",
    "Tags",
    "failure_error",
    "hold_capture",
    "hold_create",
    "hold_void",
    "holds_release_expired",
    "mobile_payment_create",
    "money_add",
    "payment_request_approve",
    "payment_request_cancel",
    "payment_request_create",
    "payment_request_decline",
    "payment_requests_expire",
    "receipt_for_token",
    "receipt_for_viewer",
    "receipt_link_token",
    "receipts_request",
    "refresh_token_revoke",
    "scheduler_pass",
    "standing_order_cancel",
    "standing_order_create",
    "standing_order_pause",
    "standing_order_resume",
    "standing_orders_run_due",
    "reversal_create",
    "token_verify",
    "tokens_issue",
    "tokens_obtain",
    "tokens_refresh",
    "transfer_batch_create",
    "transfer_create",
    "user_from_access_token",
    "user_register",
    "wallet_set_daily_limit",
    "withdrawal_create",
]
