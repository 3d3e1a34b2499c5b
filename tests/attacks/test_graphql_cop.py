"""The checks graphql-cop runs against a GraphQL endpoint, as tests against the live server, with our policy."""

import json
import os
import time
from urllib.parse import quote

import pytest
import requests

from scripts import harness
from tests.schema import documents as doc
from wallet.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)

INTROSPECTION = "query { __schema { queryType { name } types { name } } }"


def post(url, body, headers=None, **kwargs):
    return requests.post(url, json=body, headers=headers or {}, timeout=30, **kwargs)


def test_introspection_graphiql_and_suggestions_are_on_by_default(url):
    """The default policy: codegen, GraphiQL and developers need the schema, which is public anyway."""
    body = post(url, {"query": INTROSPECTION}).json()
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    assert "graphiql" in requests.get(url, headers={"Accept": "text/html"}, timeout=10).text.lower()
    suggestion = post(url, {"query": "{ walet { id } }"}).json()
    assert "Did you mean 'wallet'?" in suggestion["errors"][0]["message"]


@pytest.fixture
def locked_down_server(database_url):
    """The service started as a deployment that turns introspection and GraphiQL off."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "GRAPHQL_INTROSPECTION": "false",
        "GRAPHQL_GRAPHIQL": "false",
        "REDIS_URL": "",
    }
    server = harness.daphne(env)
    yield f"http://127.0.0.1:{server.port}/graphql/"
    server.stop()


def test_a_deployment_can_turn_introspection_graphiql_and_suggestions_off(locked_down_server):
    url = locked_down_server

    refused = post(url, {"query": INTROSPECTION}).json()
    assert refused["data"] is None and "introspection" in refused["errors"][0]["message"].lower()
    assert post(url, {"query": "{ __typename }"}).json() == {"data": {"__typename": "Query"}}
    page = requests.get(url, headers={"Accept": "text/html"}, timeout=10)
    assert "graphiql" not in page.text.lower()
    assert page.status_code in (400, 404, 405)
    suggestion = post(url, {"query": "{ walet { id } }"}).json()
    assert suggestion["errors"][0]["message"] == "Cannot query field 'walet' on type 'Query'."


MUTATION = 'mutation { addMoney(input: {amount: "1", idempotencyKey: "%s"}) { replayed } }'
MULTIPART = '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n%s\r\n--x--\r\n'


@pytest.mark.parametrize(
    "content_type, data",
    [
        ("application/x-www-form-urlencoded", "query=" + quote(MUTATION % "f")),
        ("text/plain", json.dumps({"query": MUTATION % "t"})),
        ("multipart/form-data; boundary=x", MULTIPART % json.dumps({"query": MUTATION % "m"})),
    ],
    ids=["form", "text-plain", "multipart"],
)
def test_posts_a_browser_form_can_send_cross_site_are_refused(url, alice_headers, content_type, data):
    """CSRF: the only accepted body is JSON, which a cross-site form cannot send without a CORS preflight."""
    response = requests.post(url, data=data, headers={**alice_headers, "Content-Type": content_type}, timeout=10)

    assert response.status_code in (400, 415)
    assert not Transaction.objects.filter(kind="ADD_MONEY", idempotency_key__in=["f", "t", "m"]).exists()


def test_101_aliases_are_refused_before_anything_runs(url, alice_headers):
    fields = " ".join(f"a{i}: wallet {{ balance }}" for i in range(101))
    body = post(url, {"query": f"{{ {fields} }}"}, alice_headers).json()

    assert body["data"] is None
    assert "aliases" in body["errors"][0]["message"].lower()


def test_directive_overloading_gets_one_error_not_thousands(url):
    body = post(url, {"query": "query { __typename " + "@aa " * 1000 + "}"}).json()

    assert body["data"] is None
    assert len(body["errors"]) <= 2
    assert "directives" in " ".join(error["message"] for error in body["errors"])


def test_repeated_known_directives_are_capped_too(url):
    fields = " ".join("__typename @include(if: true)" for _ in range(60))
    body = post(url, {"query": f"{{ {fields} }}"}).json()

    assert body["data"] is None
    assert "more than 50 directives" in body["errors"][0]["message"]


def test_circular_introspection_is_refused(url):
    nested = "fields { type { " * 8 + "name" + " } }" * 8
    body = post(url, {"query": f"{{ __schema {{ types {{ {nested} }} }} }}"}).json()

    assert body["data"] is None
    assert "introspection depth" in body["errors"][0]["message"].lower()


def test_circular_fragments_are_refused_without_hanging(url):
    query = "query { ...A } fragment A on Query { ...B __typename } fragment B on Query { ...A }"
    started = time.monotonic()
    body = post(url, {"query": query}).json()

    assert time.monotonic() - started < 5
    assert body["data"] is None
    assert "within itself" in body["errors"][0]["message"]


def test_very_deep_and_very_large_documents_are_refused(url, alice_headers):
    too_deep = 'query { node(id: "x") { ' + "... on Transaction { original { " * 12 + "id" + " } }" * 12 + " } }"
    assert post(url, {"query": too_deep}, alice_headers).json()["data"] is None
    large = "{ " + " ".join("__typename" for _ in range(6000)) + " }"
    response = post(url, {"query": large}, alice_headers)
    assert response.status_code in (200, 400, 413)
    assert "data" not in response.json() or response.json()["data"] is None


def test_no_tracing_or_exception_details_in_any_response(url, alice_headers):
    responses = [
        post(url, {"query": doc.WALLET}, alice_headers),
        post(url, {"query": "{ nope }"}, alice_headers),
        post(url, {"query": "{ me { "}, alice_headers),
        post(url, {"query": doc.TRANSACTION, "variables": {"id": "garbage"}}, alice_headers),
        post(url, {"query": doc.WALLET}),
    ]
    for response in responses:
        body = response.json()
        assert set(body) <= {"data", "errors"}, body
        for error in body.get("errors", []):
            assert set(error.get("extensions", {})) <= {"code"}, error
            text = str(error)
            assert "Traceback" not in text and 'File "' not in text and "SELECT" not in text


def test_an_exception_while_validating_is_masked_too(url):
    from unittest import mock

    with mock.patch("schema.guards._FactsWalker.enter_directive", side_effect=RuntimeError("secret: SELECT 1")):
        body = post(url, {"query": "query MaskedWhileValidating { __typename @include(if: true) }"}).json()

    assert body["data"] is None
    assert body["errors"] == [{"message": "Internal server error.", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]
