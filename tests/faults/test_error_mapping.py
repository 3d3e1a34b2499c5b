"""What a database failure looks like to a client: transient ones are retryable top-level errors (HTTP 503 with
Retry-After) that never carry the database's own words; anything else stays a masked INTERNAL_SERVER_ERROR."""

from unittest import mock

import psycopg2
import pytest
from django.db import IntegrityError, InterfaceError, OperationalError, ProgrammingError

from wallet.errors import RetryableError, ServiceUnavailable
from wallet.services.retries import retryable_error

pytestmark = pytest.mark.django_db

WALLET = "{ wallet { balance } }"
REFUSED = 'connection to server at "127.0.0.1", port 5432 failed: Connection refused'


def wrapped(django_error: type, cause: BaseException) -> BaseException:
    """A Django database error wrapping a driver's, as Django raises them."""
    try:
        raise cause
    except type(cause) as driver_error:
        try:
            raise django_error(str(driver_error)) from driver_error
        except django_error as error:
            return error


class _Coded(Exception):
    def __init__(self, pgcode: str) -> None:
        super().__init__(f"SQLSTATE {pgcode}")
        self.pgcode = pgcode


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (wrapped(OperationalError, psycopg2.OperationalError(REFUSED)), "SERVICE_UNAVAILABLE"),
        (wrapped(OperationalError, psycopg2.OperationalError("server closed the connection")), "SERVICE_UNAVAILABLE"),
        (wrapped(InterfaceError, psycopg2.InterfaceError("connection already closed")), "SERVICE_UNAVAILABLE"),
        (wrapped(OperationalError, _Coded("57P01")), "SERVICE_UNAVAILABLE"),  # admin shutdown
        (wrapped(OperationalError, _Coded("57P03")), "SERVICE_UNAVAILABLE"),  # starting up
        (wrapped(OperationalError, _Coded("53300")), "SERVICE_UNAVAILABLE"),  # too many connections
        (wrapped(OperationalError, _Coded("53100")), "SERVICE_UNAVAILABLE"),  # disk full
        (wrapped(OperationalError, _Coded("08006")), "SERVICE_UNAVAILABLE"),  # connection failure
        (wrapped(OperationalError, _Coded("55P03")), "RETRY_LATER"),  # lock timeout
        (wrapped(OperationalError, _Coded("57014")), "RETRY_LATER"),  # statement timeout
        (wrapped(OperationalError, _Coded("40P01")), "RETRY_LATER"),  # deadlock
        (wrapped(OperationalError, _Coded("40001")), "RETRY_LATER"),  # serialization failure
        (wrapped(OperationalError, _Coded("42P01")), None),  # undefined table: a bug
        (wrapped(ProgrammingError, psycopg2.ProgrammingError("syntax error")), None),
        (wrapped(IntegrityError, _Coded("23505")), None),
        (ValueError("a bug"), None),
    ],
)
def test_which_failures_are_retryable(error, code):
    transient = retryable_error(error)
    assert (transient.code if transient else None) == code


def post(client, token: str):
    return client.post(
        "/graphql/", {"query": WALLET}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def assert_service_unavailable(response) -> None:
    assert response.status_code == 503 and response["Retry-After"] == "1"
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == ServiceUnavailable.default_message
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryable": True}
    assert b"127.0.0.1" not in response.content and b"5432" not in response.content


def test_the_database_down_while_reading_the_token_answers_service_unavailable(client, make_user, token_for):
    token = token_for(make_user("alice"))
    failure = wrapped(OperationalError, psycopg2.OperationalError(REFUSED))

    with mock.patch("schema.view.user_from_access_token", side_effect=failure):
        assert_service_unavailable(post(client, token))


def test_the_database_down_during_execution_answers_service_unavailable(client, make_user, token_for):
    token = token_for(make_user("alice"))
    failure = wrapped(OperationalError, psycopg2.OperationalError(REFUSED))

    with mock.patch("wallet.selectors.wallet_for_user", side_effect=failure):
        assert_service_unavailable(post(client, token))


def test_a_bug_in_the_database_layer_stays_masked(client, make_user, token_for):
    token = token_for(make_user("alice"))
    failure = wrapped(ProgrammingError, psycopg2.ProgrammingError('relation "wallet_wallet" does not exist'))

    with mock.patch("wallet.selectors.wallet_for_user", side_effect=failure):
        response = post(client, token)

    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"} and error["message"] == "Internal server error."


def test_a_retryable_error_keeps_its_own_message(client, make_user, token_for):
    token = token_for(make_user("alice"))

    with mock.patch("wallet.selectors.wallet_for_user", side_effect=RetryableError()):
        response = post(client, token)

    assert response.status_code == 503
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "RETRY_LATER", "retryable": True}
    assert error["message"] == RetryableError.default_message
