from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from wallet.errors import ErrorCode, ValidationFailed, WalletError
from wallet.models import User, Wallet
from wallet.services import (
    refresh_token_revoke,
    token_verify,
    tokens_issue,
    tokens_obtain,
    tokens_refresh,
    user_from_access_token,
    user_register,
)

pytestmark = pytest.mark.django_db


def codes(exc: ValidationFailed) -> dict[str, ErrorCode]:
    return {error.field: error.code for error in exc.errors}


def test_register_creates_the_user_and_exactly_one_empty_wallet():
    user = user_register(username="alice", password="s3cure-Passw0rd", mobile_number="+44 7911 123456")

    wallet = Wallet.objects.get(user=user)
    assert (wallet.balance, wallet.currency, wallet.kind) == (0, "USD", "CUSTOMER")
    assert user.mobile_number == "+447911123456"
    assert user.check_password("s3cure-Passw0rd")


def test_numbers_without_a_country_code_use_the_default_region(settings):
    settings.PHONENUMBER_DEFAULT_REGION = "GB"

    user = user_register(username="alice", password="s3cure-Passw0rd", mobile_number="07911 123456")

    assert user.mobile_number == "+447911123456"


def test_register_reports_every_problem_at_once(make_user):
    make_user("alice", mobile_number="+14155550123")

    with pytest.raises(ValidationFailed) as refused:
        user_register(username="ALICE", password="123", mobile_number="(415) 555-0123")

    assert codes(refused.value) == {
        "username": ErrorCode.USERNAME_TAKEN,
        "mobile_number": ErrorCode.MOBILE_NUMBER_TAKEN,
        "password": ErrorCode.WEAK_PASSWORD,
    }
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "username", "password", "mobile", "code"),
    [
        ("username", "", "s3cure-Passw0rd", None, ErrorCode.INVALID_INPUT),
        ("username", "has space", "s3cure-Passw0rd", None, ErrorCode.INVALID_INPUT),
        ("password", "alice", "password", None, ErrorCode.WEAK_PASSWORD),
        ("password", "alicewonder", "alicewonder", None, ErrorCode.WEAK_PASSWORD),
        ("mobile_number", "alice", "s3cure-Passw0rd", "12345", ErrorCode.INVALID_MOBILE_NUMBER),
    ],
)
def test_register_refuses_bad_input_and_creates_nothing(field, username, password, mobile, code):
    with pytest.raises(ValidationFailed) as refused:
        user_register(username=username, password=password, mobile_number=mobile)

    assert codes(refused.value) == {field: code}
    assert not User.objects.exists() and not Wallet.objects.exists()


def test_login_issues_an_access_token_for_the_user(make_user):
    alice = make_user("alice")

    issued = tokens_obtain(username="alice", password="s3cure-Passw0rd")

    assert user_from_access_token(issued.token) == alice
    assert token_verify(token=issued.token)["username"] == "alice"


def test_login_with_a_wrong_password_or_unknown_user_is_invalid_credentials(make_user):
    make_user("alice")

    for username, password in [("alice", "wrong"), ("nobody", "s3cure-Passw0rd")]:
        with pytest.raises(WalletError) as refused:
            tokens_obtain(username=username, password=password)
        assert refused.value.code is ErrorCode.INVALID_CREDENTIALS


def test_refreshing_rotates_the_refresh_token(make_user):
    alice = make_user("alice")
    first = tokens_issue(user=alice)

    second = tokens_refresh(refresh_token=first.refresh_token)

    assert second.refresh_token != first.refresh_token
    assert user_from_access_token(second.token) == alice
    with pytest.raises(WalletError) as reused:
        tokens_refresh(refresh_token=first.refresh_token)
    assert reused.value.code is ErrorCode.INVALID_TOKEN


def test_a_revoked_refresh_token_cannot_be_used(make_user):
    issued = tokens_issue(user=make_user("alice"))

    refresh_token_revoke(refresh_token=issued.refresh_token)

    with pytest.raises(WalletError):
        tokens_refresh(refresh_token=issued.refresh_token)
    with pytest.raises(WalletError):
        refresh_token_revoke(refresh_token=issued.refresh_token)


def test_an_expired_refresh_token_cannot_be_used(make_user, settings):
    issued = tokens_issue(user=make_user("alice"))
    later = timezone.now() + timedelta(days=8)

    with mock.patch("graphql_jwt.utils.datetime") as clock, pytest.raises(WalletError):
        clock.utcnow.return_value = later.replace(tzinfo=None)
        tokens_refresh(refresh_token=issued.refresh_token)


def test_access_tokens_expire(make_user):
    issued = tokens_issue(user=make_user("alice"))
    later = timezone.now() + timedelta(minutes=6)
    assert user_from_access_token(issued.token) is not None

    with mock.patch("jwt.api_jwt.datetime") as clock:
        clock.now.return_value = later
        assert user_from_access_token(issued.token) is None


def test_tokens_of_a_deactivated_user_stop_working(make_user):
    alice = make_user("alice")
    issued = tokens_issue(user=alice)
    alice.is_active = False
    alice.save()

    assert user_from_access_token(issued.token) is None
    with pytest.raises(WalletError):
        tokens_refresh(refresh_token=issued.refresh_token)
