"""Guard rails of the HTTP endpoint: transport rules, document limits and error masking."""

from unittest import mock

import pytest
import requests
from graphql import get_introspection_query

from tests.schema import documents as doc

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def url(live_server):
    return f"{live_server.url}/graphql/"


@pytest.fixture
def auth(make_user, token_for):
    return {"Authorization": f"Bearer {token_for(make_user('alice'))}"}


def test_graphiql_is_served_to_a_browser_on_get(url):
    response = requests.get(url, headers={"Accept": "text/html"}, timeout=10)

    assert response.status_code == 200 and "graphiql" in response.text.lower()


def test_queries_over_get_are_refused(url, auth):
    response = requests.get(url, params={"query": "{ me { username } }"}, headers=auth, timeout=10)

    assert response.status_code in (400, 405)
    assert "alice" not in response.text


def test_mutations_over_get_are_refused(url, auth):
    mutation = 'mutation { addMoney(input: {amount: "1", idempotencyKey: "k"}) { replayed } }'
    response = requests.get(url, params={"query": mutation}, headers=auth, timeout=10)

    assert response.status_code in (400, 405)
    from wallet.models import Transaction

    assert not Transaction.objects.exists()


def test_batched_requests_are_refused(url, auth):
    response = requests.post(url, json=[{"query": "{ me { username } }"}] * 2, headers=auth, timeout=10)

    assert response.status_code == 400
    assert "alice" not in response.text


def test_the_full_graphiql_introspection_query_passes_every_limit(url):
    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )

    body = requests.post(url, json={"query": query}, timeout=10).json()

    assert "errors" not in body
    names = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert {"Wallet", "Transaction", "LedgerEntry", "Decimal", "ErrorCode"} <= names


def test_a_deep_query_is_refused(url, auth):
    nested = "id"
    for _ in range(6):
        nested = f"transaction {{ entries {{ {nested} }} }}"
    deep = f"{{ ledgerEntries {{ edges {{ node {{ {nested} }} }} }} }}"

    body = requests.post(url, json={"query": deep}, headers=auth, timeout=10).json()

    assert body.get("data") is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


def test_too_many_aliases_are_refused(url, auth):
    aliases = " ".join(f"a{i}: me {{ username }}" for i in range(101))

    body = requests.post(url, json={"query": f"{{ {aliases} }}"}, headers=auth, timeout=10).json()

    assert body.get("data") is None
    assert "aliases" in body["errors"][0]["message"]


def test_a_huge_document_is_refused(url, auth):
    fields = " ".join(["__typename"] * 6000)

    body = requests.post(url, json={"query": f"{{ {fields} }}"}, headers=auth, timeout=10).json()

    assert body.get("data") is None
    assert "token" in body["errors"][0]["message"].lower()


def test_unexpected_errors_are_masked_without_details(url, auth):
    with mock.patch("wallet.selectors.transferred_today", side_effect=RuntimeError("secret SQL: SELECT * FROM x")):
        response = requests.post(url, json={"query": doc.WALLET}, headers=auth, timeout=10)

    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Internal server error."
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "secret" not in response.text and "Traceback" not in response.text


def test_syntax_errors_are_reported_to_the_client(url, auth):
    body = requests.post(url, json={"query": "{ me { "}, headers=auth, timeout=10).json()

    assert body["errors"][0]["message"].startswith("Syntax Error")
