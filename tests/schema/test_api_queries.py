"""Reads over real HTTP: each user sees only their own data, paginated by keyset."""

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from strawberry import relay

from tests.schema import documents as doc
from wallet.services import transfer_create

pytestmark = pytest.mark.django_db(transaction=True)


def send(sender, receiver: str, amount: str, key: str):
    return transfer_create(sender=sender, receiver_username=receiver, amount=Decimal(amount), idempotency_key=key)


def test_me_and_wallet(as_alice, alice, fund):
    fund(alice, "12.34")

    me = as_alice.execute(doc.ME)["me"]
    wallet = as_alice.execute(doc.WALLET)["wallet"]

    assert me["username"] == "alice" and me["mobileNumber"] == "+14155550100"
    assert me["id"] == str(relay.GlobalID("User", str(alice.pk)))
    assert wallet == {
        "id": me["wallet"]["id"],
        "currency": "USD",
        "balance": "12.34",
        "dailyTransferLimit": "10000.00",
        "transferredToday": "0.00",
    }


def test_transactions_page_newest_first_through_the_whole_history(as_alice, alice, bob, fund):
    fund(alice, "100.00")
    for i in range(7):
        send(alice, "bob", "1", f"t{i}")
    send(alice, "nobody", "1", "failed-one")

    seen, after = [], None
    while True:
        page = as_alice.execute(doc.TRANSACTIONS, {"first": 3, "after": after})["transactions"]
        assert page["totalCount"] == 9
        seen += [edge["node"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]

    assert len(seen) == 9 and len({node["id"] for node in seen}) == 9
    assert seen[0]["idempotencyKey"] == "failed-one" and seen[0]["status"] == "FAILED"
    assert seen[-1]["kind"] == "ADD_MONEY"
    created = [node["createdAt"] for node in seen]
    assert created == sorted(created, reverse=True)


def test_new_transactions_do_not_shift_a_page_already_fetched(as_alice, alice, bob, fund):
    fund(alice, "100.00")
    for i in range(4):
        send(alice, "bob", "1", f"t{i}")
    first_page = as_alice.execute(doc.TRANSACTIONS, {"first": 2})["transactions"]

    send(alice, "bob", "1", "arrives-later")
    second_page = as_alice.execute(doc.TRANSACTIONS, {"first": 2, "after": first_page["pageInfo"]["endCursor"]})

    keys = [edge["node"]["idempotencyKey"] for edge in second_page["transactions"]["edges"]]
    assert keys == ["t1", "t0"]


def test_transactions_filter_by_kind_and_status(as_alice, alice, bob, fund):
    fund(alice, "10.00")
    send(alice, "bob", "1", "ok")
    send(alice, "bob", "100", "too-much")

    failed = as_alice.execute(doc.TRANSACTIONS, {"status": "FAILED"})["transactions"]
    transfers = as_alice.execute(doc.TRANSACTIONS, {"kind": "TRANSFER", "status": "SUCCESS"})["transactions"]
    top_ups = as_alice.execute(doc.TRANSACTIONS, {"kind": "ADD_MONEY"})["transactions"]

    assert [e["node"]["idempotencyKey"] for e in failed["edges"]] == ["too-much"]
    assert failed["edges"][0]["node"]["failureCode"] == "INSUFFICIENT_FUNDS"
    assert [e["node"]["idempotencyKey"] for e in transfers["edges"]] == ["ok"]
    assert top_ups["totalCount"] == 1


def test_first_is_capped_at_one_hundred(as_alice, alice, fund):
    for _i in range(101):
        fund(alice, "1")

    page = as_alice.execute(doc.TRANSACTIONS, {"first": 500})["transactions"]
    default = as_alice.execute(doc.TRANSACTIONS)["transactions"]

    assert len(page["edges"]) == 100 and page["pageInfo"]["hasNextPage"] is True
    assert len(default["edges"]) == 20


@pytest.mark.parametrize("variables", [{"first": -1}, {"after": "not-a-cursor"}, {"after": "Y3Vyc29yOnYxOng="}])
def test_bad_paging_arguments_are_client_errors(as_alice, variables):
    response = as_alice.request(doc.TRANSACTIONS, variables)

    assert response.data is None
    assert response.error_codes == ["BAD_USER_INPUT"]


def test_a_receiver_sees_what_reached_them_but_not_the_senders_failures(api, alice, bob, fund, token_for):
    fund(alice, "10.00")
    send(alice, "bob", "3", "ok")
    send(alice, "bob", "300", "refused")
    as_bob = api.as_user(token_for(bob))

    edges = as_bob.execute(doc.TRANSACTIONS)["transactions"]["edges"]

    assert [(e["node"]["amount"], e["node"]["sender"]) for e in edges] == [("3.00", {"username": "alice"})]
    assert edges[0]["node"]["idempotencyKey"] is None


def test_another_users_transaction_looks_like_a_missing_one(api, alice, bob, fund, token_for, make_user):
    fund(alice, "10.00")
    txn = send(alice, "bob", "3", "ok").transaction
    carol = api.as_user(token_for(make_user("carol")))
    global_id = str(relay.GlobalID("Transaction", str(txn.pk)))
    missing_id = str(relay.GlobalID("Transaction", "999999"))

    assert carol.execute(doc.TRANSACTION, {"id": global_id}) == {"transaction": None}
    assert carol.execute(doc.TRANSACTION, {"id": missing_id}) == {"transaction": None}
    assert carol.execute(doc.TRANSACTION, {"id": "garbage!"}) == {"transaction": None}
    assert carol.execute(doc.NODE, {"id": global_id}) == {"node": None}
    assert api.as_user(token_for(bob)).execute(doc.TRANSACTION, {"id": global_id})["transaction"]["amount"] == "3.00"


def test_node_resolves_only_the_viewers_own_objects(api, as_alice, alice, bob, fund, token_for):
    fund(alice, "10.00")
    txn = send(alice, "bob", "3", "ok").transaction
    alice_entry = txn.entries.get(wallet__user=alice)
    bob_entry = txn.entries.get(wallet__user=bob)

    def node(client, type_name, pk):
        return client.execute(doc.NODE, {"id": str(relay.GlobalID(type_name, str(pk)))})["node"]

    assert node(as_alice, "User", alice.pk)["username"] == "alice"
    assert node(as_alice, "Wallet", alice.wallet.pk)["balance"] == "7.00"
    assert node(as_alice, "Transaction", txn.pk)["amount"] == "3.00"
    assert node(as_alice, "LedgerEntry", alice_entry.pk)["balanceAfter"] == "7.00"
    for type_name, pk in [("User", bob.pk), ("Wallet", bob.wallet.pk), ("LedgerEntry", bob_entry.pk)]:
        assert node(as_alice, type_name, pk) is None, type_name


def test_ledger_entries_page_through_the_viewers_entries(as_alice, alice, bob, fund):
    fund(alice, "10.00")
    send(alice, "bob", "1", "a")
    send(alice, "bob", "2", "b")

    first = as_alice.execute(doc.LEDGER_ENTRIES, {"first": 2})["ledgerEntries"]
    rest = as_alice.execute(doc.LEDGER_ENTRIES, {"first": 2, "after": first["pageInfo"]["endCursor"]})["ledgerEntries"]

    assert first["totalCount"] == 3
    nodes = [e["node"] for e in first["edges"] + rest["edges"]]
    assert [(n["direction"], n["amount"], n["balanceAfter"]) for n in nodes] == [
        ("DEBIT", "2.00", "7.00"),
        ("DEBIT", "1.00", "9.00"),
        ("CREDIT", "10.00", "10.00"),
    ]
    assert [n["transaction"]["kind"] for n in nodes] == ["TRANSFER", "TRANSFER", "ADD_MONEY"]
    assert rest["pageInfo"]["hasNextPage"] is False


def _query_count(token: str, first: int) -> int:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    with CaptureQueriesContext(connection) as queries:
        response = client.post(
            "/graphql/",
            json.dumps({"query": doc.TRANSACTIONS, "variables": {"first": first}}),
            content_type="application/json",
        )
    body = response.json()
    assert "errors" not in body and len(body["data"]["transactions"]["edges"]) == first
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_page_size(alice, bob, fund, token_for):
    fund(alice, "100.00")
    for i in range(30):
        send(alice, "bob", "1", f"t{i}")
    token = token_for(alice)
    _query_count(token, 2)  # the connection's first request prepares its statements

    assert _query_count(token, 2) == _query_count(token, 30)


HISTORY_WITH_FRAGMENT = """
fragment Row on Transaction { amount sender { username } entries { direction amount } }
query { transactions(first: 5) { edges { node { id ...Row } } } }
"""
HISTORY_MINIMAL = "query { transactions(first: 30) { edges { node { id amount status } } } }"


def test_fields_asked_for_through_fragments_are_loaded(as_alice, alice, bob, fund):
    fund(alice, "10.00")
    send(alice, "bob", "3", "ok")

    node = as_alice.execute(HISTORY_WITH_FRAGMENT)["transactions"]["edges"][0]["node"]

    assert node["sender"] == {"username": "alice"}
    assert node["entries"] == [{"direction": "DEBIT", "amount": "3.00"}]


def test_a_history_page_without_parties_or_entries_skips_their_queries(alice, bob, fund, token_for):
    fund(alice, "100.00")
    for i in range(30):
        send(alice, "bob", "1", f"t{i}")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(alice)}")

    def count(document: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            body = client.post("/graphql/", {"query": document}, content_type="application/json").json()
        assert "errors" not in body
        return len(queries)

    count(HISTORY_MINIMAL)  # the connection's first request prepares its statements
    minimal = count(HISTORY_MINIMAL)
    full = count("query { transactions(first: 30) { edges { node { id sender { username } entries { id } } } } }")
    assert minimal == full - 1  # the entries prefetch is the only extra query; parties ride on the same join


def test_balance_at_over_the_api(as_alice, alice, fund):
    fund(alice, "10.00")
    before = "2000-01-01T00:00:00+00:00"
    later = "2999-01-01T00:00:00+00:00"

    wallet = as_alice.execute(
        "query($a: DateTime!, $b: DateTime!) { wallet { then: balanceAt(at: $a) now: balanceAt(at: $b) } }",
        {"a": before, "b": later},
    )["wallet"]

    assert wallet == {"then": "0.00", "now": "10.00"}
