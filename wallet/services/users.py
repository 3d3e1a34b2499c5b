from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from wallet.errors import ErrorCode, ValidationFailed, WalletError
from wallet.models import User, Wallet
from wallet.validation import normalize_mobile_number


def user_register(*, username: str, password: str, mobile_number: str | None = None) -> User:
    """Creates a user and their wallet together; refuses with every problem found at once."""
    username = username.strip()
    errors: list[WalletError] = []

    try:
        if not 1 <= len(username) <= 150:
            raise ValidationError("Give a username of 1 to 150 characters.")
        UnicodeUsernameValidator()(username)
    except ValidationError as exc:
        errors.append(WalletError(ErrorCode.INVALID_INPUT, " ".join(exc.messages), field="username"))
    else:
        if User.objects.with_username(username).exists():
            errors.append(WalletError(ErrorCode.USERNAME_TAKEN, "This username is taken.", field="username"))

    normalized_mobile = None
    if mobile_number is not None and mobile_number.strip():
        try:
            normalized_mobile = normalize_mobile_number(mobile_number)
        except WalletError as exc:
            errors.append(exc)
        else:
            if User.objects.filter(mobile_number=normalized_mobile).exists():
                errors.append(_mobile_taken())

    try:
        validate_password(password, user=User(username=username, mobile_number=normalized_mobile))
    except ValidationError as exc:
        errors.append(WalletError(ErrorCode.WEAK_PASSWORD, " ".join(exc.messages), field="password"))

    if errors:
        raise ValidationFailed(errors)

    try:
        with transaction.atomic():
            user = User.objects.create_user(username=username, password=password, mobile_number=normalized_mobile)
            Wallet.objects.create(user=user)
    except IntegrityError:
        # Lost a race with a concurrent registration of the same name or number.
        if User.objects.with_username(username).exists():
            raise ValidationFailed(
                [WalletError(ErrorCode.USERNAME_TAKEN, "This username is taken.", field="username")]
            ) from None
        raise ValidationFailed([_mobile_taken()]) from None
    return user


def _mobile_taken() -> WalletError:
    return WalletError(
        ErrorCode.MOBILE_NUMBER_TAKEN, "This mobile number belongs to another user.", field="mobile_number"
    )


def wallet_set_daily_limit(*, wallet: Wallet, limit) -> None:
    """Sets the wallet's daily override (and so its effective daily limit, see Wallet.daily_transfer_limit): one
    UPDATE of those columns, so a movement committed meanwhile keeps its balance."""
    Wallet.objects.filter(pk=wallet.pk).update(daily_transfer_limit=limit, daily_limit_override=limit)
