"""Relay global IDs ("Type:pk", base64) in, primary keys out."""

from strawberry import relay


def parse_global_id(value: str) -> tuple[str, int] | None:
    """(type name, pk) of a global ID, or None for anything malformed."""
    try:
        global_id = relay.GlobalID.from_id(value)
    except Exception:  # malformed base64 or shape: treated like a missing object
        return None
    if not global_id.node_id.isascii() or not global_id.node_id.isdigit():
        return None
    return global_id.type_name, int(global_id.node_id)


def transaction_pk(value: str) -> int | None:
    """The pk of a Transaction global ID; None when the ID names no transaction."""
    parsed = parse_global_id(value)
    return parsed[1] if parsed is not None and parsed[0] == "Transaction" else None


def payment_request_pk(value: str) -> int | None:
    """The pk of a PaymentRequest global ID; None when the ID names no payment request."""
    parsed = parse_global_id(value)
    return parsed[1] if parsed is not None and parsed[0] == "PaymentRequest" else None
