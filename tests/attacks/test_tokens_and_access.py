"""Tokens that must not work, and other users' objects that must look like they don't exist."""

import base64
import json

import pytest
import requests
from graphql_relay import to_global_id

from tests.schema import documents as doc
from wallet.models import LedgerEntry, Transaction, User

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "s3cure-Passw0rd"


def test_a_deactivated_users_tokens_stop_working(api, alice, token_for):
    token = token_for(alice)
    login = api.execute(doc.TOKEN_AUTH, {"username": "alice", "password": PASSWORD})["tokenAuth"]
    assert api.as_user(token).execute(doc.ME)["me"]["username"] == "alice"

    User.objects.filter(pk=alice.pk).update(is_active=False)

    assert api.as_user(token).request(doc.ME).error_codes == ["UNAUTHENTICATED"]
    refreshed = api.execute(doc.REFRESH_TOKEN, {"refreshToken": login["refreshToken"]})["refreshToken"]
    assert refreshed["token"] is None and refreshed["errors"][0]["code"] == "INVALID_TOKEN"
    relogin = api.execute(doc.TOKEN_AUTH, {"username": "alice", "password": PASSWORD})["tokenAuth"]
    assert relogin["token"] is None and relogin["errors"][0]["code"] == "INVALID_CREDENTIALS"


def test_a_rotated_refresh_token_coming_back_revokes_the_whole_family(api, alice):
    """Reuse means a copy leaked: the thief's (or the user's) successor token dies too."""
    login = api.execute(doc.TOKEN_AUTH, {"username": "alice", "password": PASSWORD})["tokenAuth"]
    other_device = api.execute(doc.TOKEN_AUTH, {"username": "alice", "password": PASSWORD})["tokenAuth"]
    rotated = api.execute(doc.REFRESH_TOKEN, {"refreshToken": login["refreshToken"]})["refreshToken"]
    assert rotated["errors"] == []

    reuse = api.execute(doc.REFRESH_TOKEN, {"refreshToken": login["refreshToken"]})["refreshToken"]

    assert reuse["token"] is None and reuse["errors"][0]["code"] == "INVALID_TOKEN"
    for survivor in (rotated["refreshToken"], other_device["refreshToken"]):
        after = api.execute(doc.REFRESH_TOKEN, {"refreshToken": survivor})["refreshToken"]
        assert after["token"] is None and after["errors"][0]["code"] == "INVALID_TOKEN"
    # Access tokens already issued live out their few minutes; signing in again works.
    again = api.execute(doc.TOKEN_AUTH, {"username": "alice", "password": PASSWORD})["tokenAuth"]
    assert again["errors"] == []


@pytest.mark.parametrize(
    "header",
    ["Token {t}", "JWT {t}", "Bearer", "Bearer {t} extra", "bearer{t}", "Basic {b}", "Bearer {t}.", "Bearer x{t}"],
)
def test_malformed_authorization_headers_are_anonymous(url, alice, token_for, header):
    token = token_for(alice)
    value = header.format(t=token, b=base64.b64encode(f"alice:{PASSWORD}".encode()).decode())

    body = requests.post(url, json={"query": doc.ME}, headers={"Authorization": value}, timeout=10).json()

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


OTHER_OBJECTS = """
query Peek($id: ID!) {
  node(id: $id) { id __typename }
  transaction(id: $id) { id amount }
}"""


def test_another_users_objects_look_exactly_like_missing_ones(api, alice, bob, fund, as_alice, token_for):
    fund(bob, "50.00")
    as_bob = api.as_user(token_for(bob))
    bob_txn = Transaction.objects.filter(initiator=bob).first()
    bob_entry = LedgerEntry.objects.filter(wallet=bob.wallet).first()
    theirs = [
        to_global_id("Transaction", str(bob_txn.pk)),
        to_global_id("LedgerEntry", str(bob_entry.pk)),
        to_global_id("Wallet", str(bob.wallet.pk)),
        to_global_id("User", str(bob.pk)),
    ]
    missing = [
        to_global_id("Transaction", "999999"),
        to_global_id("LedgerEntry", "999999"),
        to_global_id("Wallet", "999999"),
        to_global_id("User", "999999"),
    ]
    for their_id, missing_id in zip(theirs, missing, strict=True):
        seen = as_alice.request(OTHER_OBJECTS, {"id": their_id})
        absent = as_alice.request(OTHER_OBJECTS, {"id": missing_id})
        assert seen == absent, their_id
        assert seen.data == {"node": None, "transaction": None}
    # Bob sees his own, so the IDs were real.
    assert as_bob.execute(OTHER_OBJECTS, {"id": theirs[0]})["transaction"]["amount"] == "50.00"


def test_a_receiver_sees_neither_the_senders_key_nor_balance(api, alice, bob, as_alice, token_for):
    sent = as_alice.execute(
        doc.TRANSFER, {"input": {"receiverUsername": "bob", "amount": "10.00", "idempotencyKey": "alice-secret-key"}}
    )["transfer"]
    assert sent["errors"] == []
    as_bob = api.as_user(token_for(bob))

    query = (
        """query($id: ID!) { transaction(id: $id) { idempotencyKey sender { username } entries { balanceAfter } } }"""
    )
    seen = as_bob.execute(query, {"id": sent["transaction"]["id"]})["transaction"]

    assert seen["idempotencyKey"] is None
    assert seen["sender"] == {"username": "alice"}
    assert [entry["balanceAfter"] for entry in seen["entries"]] == ["10.00"]  # bob's own entry only
    assert "alice-secret-key" not in json.dumps(as_bob.execute(doc.TRANSACTIONS, {"first": 10}))
    party_fields = {f["name"] for f in api.execute('{ __type(name: "Party") { fields { name } } }')["__type"]["fields"]}
    assert party_fields == {"username"}


def test_inputs_with_extra_fields_are_rejected_and_move_nothing(as_alice, alice):
    response = as_alice.request(
        doc.TRANSFER,
        {"input": {"receiverUsername": "bob", "amount": "1.00", "idempotencyKey": "x", "senderUsername": "bob"}},
    )

    assert response.data is None
    assert "senderUsername" in response.errors[0]["message"]
    assert Transaction.objects.filter(kind=Transaction.Kind.TRANSFER).count() == 0
