"""Password guessing, sign-up sweeps and mobile-number probing are rate limited; aliases don't get around it."""

import pytest
import requests

from tests.schema import documents as doc
from wallet.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "s3cure-Passw0rd"


def login(api, username, password):
    return api.execute(doc.TOKEN_AUTH, {"username": username, "password": password})["tokenAuth"]


def codes(payload):
    return [error["code"] for error in payload["errors"]]


def test_password_guessing_on_one_account_is_limited_even_for_the_right_password(api, alice, settings):
    assert settings.LOGIN_RATE_PER_ACCOUNT == "5/m"
    for attempt in range(5):
        assert codes(login(api, "alice", f"guess-{attempt}")) == ["INVALID_CREDENTIALS"]

    blocked = login(api, "ALICE", PASSWORD)

    assert blocked["token"] is None
    assert codes(blocked) == ["RATE_LIMITED"]
    assert "Wait a minute" in blocked["errors"][0]["message"]


def test_guessing_across_many_accounts_from_one_address_is_limited(api, make_user, settings):
    assert settings.LOGIN_RATE_PER_ADDRESS == "30/m"
    make_user("victim")
    results = [codes(login(api, f"user-{n}", "guess")) for n in range(30)]
    assert all(result == ["INVALID_CREDENTIALS"] for result in results)

    assert codes(login(api, "victim", "s3cure-Passw0rd")) == ["RATE_LIMITED"]


def test_sign_up_sweeps_from_one_address_are_limited(api, settings):
    settings.REGISTER_RATE_PER_ADDRESS = "3/h"
    for n in range(3):
        assert api.execute(doc.REGISTER, {"input": {"username": f"new{n}", "password": PASSWORD}})["register"]["token"]

    blocked = api.execute(doc.REGISTER, {"input": {"username": "new3", "password": PASSWORD}})["register"]

    assert blocked["user"] is None and codes(blocked) == ["RATE_LIMITED"]


def probe(as_user, number, key):
    variables = {"input": {"mobileNumber": number, "amount": "1.00", "idempotencyKey": key}}
    return as_user.execute(doc.PAY_BY_MOBILE, variables)["payByMobile"]


def test_mobile_number_probing_is_limited_per_account(as_alice, settings):
    assert settings.MOBILE_LOOKUP_RATE_PER_ACCOUNT == "20/m"
    answers = [codes(probe(as_alice, f"+1415555{150 + n:04d}", f"probe-{n}")) for n in range(20)]
    assert all(answer == ["RECEIVER_NOT_FOUND"] for answer in answers)

    blocked = probe(as_alice, "+14155550123", "probe-20")

    assert codes(blocked) == ["RATE_LIMITED"] and blocked["transaction"] is None
    assert not Transaction.objects.filter(idempotency_key="probe-20").exists()


def test_aliases_in_one_request_count_one_by_one(url, alice_headers, bob):
    fields = " ".join(
        f'p{n}: payByMobile(input: {{mobileNumber: "+1415555{150 + n:04d}", amount: "1.00", idempotencyKey: "a{n}"}})'
        " { errors { code } }"
        for n in range(25)
    )
    body = requests.post(url, json={"query": f"mutation {{ {fields} }}"}, headers=alice_headers, timeout=30).json()

    answers = [body["data"][f"p{n}"]["errors"][0]["code"] for n in range(25)]
    assert answers[:20] == ["RECEIVER_NOT_FOUND"] * 20
    assert answers[20:] == ["RATE_LIMITED"] * 5


def test_fifty_aliased_probes_are_refused_whole(url, alice_headers):
    fields = " ".join(
        f'p{n}: payByMobile(input: {{mobileNumber: "+1415555{n:04d}", amount: "1", idempotencyKey: "b{n}"}})'
        " { errors { code } }"
        for n in range(50)
    )
    body = requests.post(url, json={"query": f"mutation {{ {fields} }}"}, headers=alice_headers, timeout=30).json()

    assert body["data"] is None
    assert "aliases" in body["errors"][0]["message"]
    assert not Transaction.objects.filter(kind=Transaction.Kind.PAY_BY_MOBILE).exists()


def test_one_idempotency_key_in_two_aliases_moves_money_once(url, alice, alice_headers, bob):
    transfer = 'transfer(input: {receiverUsername: "bob", amount: "10.00", idempotencyKey: "twice"})'
    query = (
        f"mutation {{ a: {transfer} {{ replayed errors {{ code }} }} b: {transfer} {{ replayed errors {{ code }} }} }}"
    )

    body = requests.post(url, json={"query": query}, headers=alice_headers, timeout=30).json()

    assert body["data"]["a"] == {"replayed": False, "errors": []}
    assert body["data"]["b"] == {"replayed": True, "errors": []}
    alice.wallet.refresh_from_db()
    bob.wallet.refresh_from_db()
    assert (alice.wallet.balance, bob.wallet.balance) == (90, 10)
    assert Transaction.objects.filter(kind=Transaction.Kind.TRANSFER).count() == 1
