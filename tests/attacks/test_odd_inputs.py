"""Odd amounts, phone numbers and strings: each refused cleanly or normalised, never a 500, never a movement."""

import pytest
import requests

from tests.schema import documents as doc
from wallet.models import Transaction, User

pytestmark = pytest.mark.django_db(transaction=True)

ODD_AMOUNTS = [
    "NaN",
    "sNaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    "1e308",
    "1E+2",
    "-0",
    "-0.00",
    "0",
    "0.001",
    "1_000",
    "1,000",
    " 10 ",
    "10 ",
    "+10",
    ".5",
    "5.",
    "١٠",  # Arabic-Indic digits
    "１０",  # fullwidth digits
    "10\u200b",  # zero-width space
    "\u202e10",  # right-to-left override
    "\u200f10",  # right-to-left mark
    "10\x00",
    "0x10",
    "",
    "9" * 40,
    "1000000.01",
    "-5.00",
]


def refusal_codes(response):
    """The codes a refusal came with: top-level (the scalar) or in the payload."""
    top = response.error_codes
    if top:
        return top
    payload = next(iter(response.data.values()))
    return [error["code"] for error in payload["errors"]]


@pytest.mark.parametrize("amount", ODD_AMOUNTS, ids=[repr(a) for a in ODD_AMOUNTS])
def test_odd_amounts_are_refused_cleanly(as_alice, alice, bob, amount):
    before = Transaction.objects.count()
    for document, extra in [(doc.ADD_MONEY, {}), (doc.TRANSFER, {"receiverUsername": "bob"})]:
        response = as_alice.request(document, {"input": {"amount": amount, "idempotencyKey": f"k{amount!r}", **extra}})

        codes = refusal_codes(response)
        assert codes and set(codes) <= {"BAD_USER_INPUT", "INVALID_AMOUNT"}, (amount, response)
    # Refused amounts are bad input, not business refusals: nothing is recorded, nothing moves.
    assert Transaction.objects.count() == before
    alice.wallet.refresh_from_db()
    assert alice.wallet.balance == 100


@pytest.mark.parametrize("literal", ["NaN", "1e3", "10", "10.0", "true", "null", "[1]", "{a: 1}", '"1e3"'])
def test_odd_amount_literals_are_refused_cleanly(url, alice_headers, literal):
    query = f'mutation {{ addMoney(input: {{amount: {literal}, idempotencyKey: "lit"}}) {{ errors {{ code }} }} }}'

    response = requests.post(url, json={"query": query}, headers=alice_headers, timeout=10)

    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None and body["errors"]
    assert "Internal server error" not in response.text
    assert not Transaction.objects.filter(idempotency_key="lit").exists()


CANONICAL = "+14155550123"
SAME_NUMBER = [
    "+14155550123",
    "+1 415 555 0123",
    "+1 (415) 555-0123",
    "(415) 555-0123",
    "415.555.0123",
    "＋14155550123",  # fullwidth plus
    "+１４１５５５５０１２３",  # fullwidth digits
    "+١٤١٥٥٥٥٠١٢٣",  # Arabic-Indic digits
    " +14155550123 ",
    # Invisible format characters are dropped wherever they are.
    "+1 415 555 0123\u200b",
    "\u202a+14155550123\u202c",
    "+1415\u200d5550123",
    "+1\u2066415\u20695550123",
]
REFUSED_NUMBERS = [
    "+1415555012",
    "+141555501234",
    "14155550123" * 3,
    "+14155550123\x00",
    "+1415555\t0123",
    "tel:+14155550123;ext=1\x00",
    "+999 1234",
    "",
    "NaN",
    "+",
]


@pytest.mark.parametrize("number", SAME_NUMBER, ids=[repr(n) for n in SAME_NUMBER])
def test_equivalent_numbers_reach_the_canonical_one(as_alice, bob, number):
    payload = as_alice.execute(
        doc.PAY_BY_MOBILE, {"input": {"mobileNumber": number, "amount": "1.00", "idempotencyKey": f"n{number!r}"}}
    )["payByMobile"]

    assert payload["errors"] == []
    assert payload["transaction"]["receiver"]["username"] == "bob"


@pytest.mark.parametrize("number", REFUSED_NUMBERS, ids=[repr(n) for n in REFUSED_NUMBERS])
def test_malformed_numbers_are_refused_cleanly(api, as_alice, bob, number):
    paid = as_alice.request(
        doc.PAY_BY_MOBILE, {"input": {"mobileNumber": number, "amount": "1.00", "idempotencyKey": f"n{number!r}"}}
    )
    registered = api.request(
        doc.REGISTER, {"input": {"username": "odd", "password": "s3cure-Passw0rd", "mobileNumber": number}}
    )

    assert refusal_codes(paid)
    assert set(refusal_codes(paid)) <= {"INVALID_MOBILE_NUMBER", "RECEIVER_NOT_FOUND", "BAD_USER_INPUT"}
    assert Transaction.objects.filter(kind=Transaction.Kind.PAY_BY_MOBILE, status="SUCCESS").count() == 0
    if number == "":
        # Registration's number is optional: empty means none.
        assert User.objects.get(username="odd").mobile_number is None
        return
    assert refusal_codes(registered) and "INTERNAL_SERVER_ERROR" not in refusal_codes(registered)
    assert not User.objects.filter(username="odd").exists()


def test_a_number_registered_in_any_form_is_stored_canonical(api):
    payload = api.execute(
        doc.REGISTER,
        {"input": {"username": "carol", "password": "s3cure-Passw0rd", "mobileNumber": "＋1 (415) 555-0199"}},
    )["register"]

    assert payload["errors"] == [] and payload["user"]["mobileNumber"] == "+14155550199"
    assert User.objects.get(username="carol").mobile_number == "+14155550199"


STRINGS_WITH_NUL = {
    "note": (
        doc.TRANSFER,
        {"input": {"receiverUsername": "bob", "amount": "1.00", "idempotencyKey": "nul1", "note": "hi\x00"}},
    ),
    "receiver": (doc.TRANSFER, {"input": {"receiverUsername": "bob\x00", "amount": "1.00", "idempotencyKey": "nul2"}}),
    "key": (doc.TRANSFER, {"input": {"receiverUsername": "bob", "amount": "1.00", "idempotencyKey": "nul3\x00"}}),
    "refresh": (doc.REFRESH_TOKEN, {"refreshToken": "abc\x00"}),
    "revoke": (doc.REVOKE_TOKEN, {"refreshToken": "abc\x00"}),
    "verify": (doc.VERIFY_TOKEN, {"token": "abc\x00"}),
    "transaction id": (doc.TRANSACTION, {"id": "VHJhbnNhY3Rpb246MQ==\x00"}),
}


@pytest.mark.parametrize("name", list(STRINGS_WITH_NUL))
def test_nul_characters_anywhere_are_refused_cleanly(as_alice, bob, name):
    document, variables = STRINGS_WITH_NUL[name]

    response = as_alice.request(document, variables)

    assert "INTERNAL_SERVER_ERROR" not in response.error_codes, response
    if not response.error_codes:
        payload = next(iter(response.data.values()))
        assert payload is None or payload.get("errors"), response
    assert not Transaction.objects.filter(kind=Transaction.Kind.TRANSFER, status="SUCCESS").exists()


@pytest.mark.parametrize("field", ["username", "password"])
def test_nul_characters_in_credentials_are_refused_cleanly(api, alice, field):
    credentials = {"username": "alice", "password": "s3cure-Passw0rd", field: "x\x00"}

    login = api.request(doc.TOKEN_AUTH, credentials)
    register = api.request(doc.REGISTER, {"input": credentials})

    for response in (login, register):
        assert "INTERNAL_SERVER_ERROR" not in response.error_codes, response
        assert refusal_codes(response)
