"""Input rules shared by the services; each failure is a WalletError naming its field."""

import re
import unicodedata
from decimal import Decimal

import phonenumbers
from django.conf import settings

from wallet.errors import ErrorCode, WalletError
from wallet.money import quantum

IDEMPOTENCY_KEY_MAX_LENGTH = 255
# Keys starting with this are the service's own (e.g. releasing an expired hold); clients cannot send them.
SERVICE_KEY_PREFIX = "~"
NOTE_MAX_LENGTH = 255


def clean_amount(amount: Decimal, *, field: str = "amount") -> Decimal:
    """A positive amount with at most the currency's places, at most WALLET_MAX_AMOUNT."""
    places = settings.WALLET_CURRENCY_DECIMALS
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise WalletError(ErrorCode.INVALID_AMOUNT, "The amount must be a decimal number.", field=field)
    if amount <= 0:
        raise WalletError(ErrorCode.INVALID_AMOUNT, "The amount must be greater than zero.", field=field)
    # Checked before quantize(), which fails on numbers past Decimal's precision.
    if amount > settings.WALLET_MAX_AMOUNT:
        raise WalletError(
            ErrorCode.INVALID_AMOUNT,
            f"The amount cannot exceed {settings.WALLET_MAX_AMOUNT} per movement.",
            field=field,
        )
    if amount != amount.quantize(quantum()):
        raise WalletError(
            ErrorCode.INVALID_AMOUNT, f"The amount can have at most {places} decimal places.", field=field
        )
    return amount.quantize(quantum())


def clean_idempotency_key(key: str) -> str:
    if not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH or not key.isprintable() or key.startswith(SERVICE_KEY_PREFIX):
        raise WalletError(
            ErrorCode.INVALID_INPUT,
            f"The idempotency key must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable characters, "
            f"not starting with '{SERVICE_KEY_PREFIX}'.",
            field="idempotency_key",
        )
    return key


def clean_note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise WalletError(
            ErrorCode.INVALID_INPUT, f"The note can have at most {NOTE_MAX_LENGTH} characters.", field="note"
        )
    return note


def clean_username_reference(username: str, *, field: str = "receiver_username") -> str:
    username = username.strip()
    if not 1 <= len(username) <= 150:
        raise WalletError(ErrorCode.INVALID_INPUT, "Give a username of 1 to 150 characters.", field=field)
    return username


def normalize_mobile_number(raw: str, *, field: str = "mobile_number") -> str:
    """Returns the number in E.164 form, or refuses it with INVALID_MOBILE_NUMBER."""
    invalid = WalletError(
        ErrorCode.INVALID_MOBILE_NUMBER,
        "Give a valid mobile number, with its country code (e.g. +14155550123).",
        field=field,
    )
    # Invisible format characters (zero-width, bidi marks) come along with copied numbers: drop them anywhere,
    # so a number means the same whatever surrounds it. Control characters are never part of a number.
    raw = "".join(char for char in raw if unicodedata.category(char) != "Cf")
    if len(raw) > 32 or any(unicodedata.category(char) == "Cc" for char in raw):
        raise invalid
    try:
        number = phonenumbers.parse(raw, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise invalid from None
    if not phonenumbers.is_valid_number(number):
        raise invalid
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


REFERENCE_MAX_LENGTH = 100
METADATA_MAX_KEYS = 20
METADATA_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,40}")
METADATA_VALUE_MAX_LENGTH = 500


def clean_reference(reference: str | None) -> str:
    """The client's own id for a movement (an order id): up to 100 printable characters; "" when none."""
    reference = (reference or "").strip()
    if len(reference) > REFERENCE_MAX_LENGTH or not reference.isprintable():
        raise WalletError(
            ErrorCode.INVALID_INPUT,
            f"The reference must be at most {REFERENCE_MAX_LENGTH} printable characters.",
            field="reference",
        )
    return reference


def clean_metadata(metadata) -> dict[str, str]:
    """A small flat map of strings: at most 20 keys of 1 to 40 letters, digits or _.:-, values of at most 500
    printable characters."""
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise WalletError(ErrorCode.INVALID_INPUT, "The metadata must be an object of strings.", field="metadata")
    if len(metadata) > METADATA_MAX_KEYS:
        raise WalletError(
            ErrorCode.INVALID_INPUT, f"The metadata can have at most {METADATA_MAX_KEYS} keys.", field="metadata"
        )
    for key, value in metadata.items():
        if not isinstance(key, str) or not METADATA_KEY.fullmatch(key):
            raise WalletError(
                ErrorCode.INVALID_INPUT,
                "Each metadata key must be 1 to 40 letters, digits or the characters _ . : -",
                field="metadata",
            )
        if not isinstance(value, str) or len(value) > METADATA_VALUE_MAX_LENGTH or not value.isprintable():
            raise WalletError(
                ErrorCode.INVALID_INPUT,
                f"Each metadata value must be a string of at most {METADATA_VALUE_MAX_LENGTH} printable characters.",
                field="metadata",
            )
    return dict(metadata)
