"""Signed, expiring download links: a browser opens them without an access token, so the link itself names what it
may fetch and for how long. Receipts and statements share this; each kind of link signs with its own salt, so a
token made for one can never be replayed as the other."""

from typing import Any

from django.core import signing


def link_token(*, salt: str, claims: dict[str, Any]) -> str:
    """A token carrying `claims`, signed with SECRET_KEY under `salt` and stamped with the time it was made."""
    return signing.TimestampSigner(salt=salt).sign_object(claims)


def link_claims(token: str, *, salt: str, max_age_seconds: int) -> dict[str, Any] | None:
    """The claims of a token signed under `salt` at most `max_age_seconds` ago; None when it is tampered with,
    forged, signed for another kind of link, or expired (the caller answers all of these alike, with a 404)."""
    try:
        return signing.TimestampSigner(salt=salt).unsign_object(token, max_age=max_age_seconds)
    except (signing.BadSignature, ValueError, UnicodeError):
        return None
