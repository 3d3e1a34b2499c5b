"""Each money mutation costs two database round trips: the token's user (with wallet), then one call of the posting
engine, whose transaction runs in that one statement (no BEGIN, COMMIT, savepoint or health check around it); both
are statements prepared once per connection. A regression (an ORM query in a resolver, a lookup per field, a second
write) changes these counts, not a timing."""

import re
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from wallet.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)

PAYLOAD = "transaction { id status amount } wallet { balance } replayed errors { code field message }"
MUTATIONS = {
    "addMoney": ('addMoney(input: {amount: "5.00", idempotencyKey: $key})', "AddMoney"),
    "transfer": ('transfer(input: {receiverUsername: "bob", amount: "1.00", idempotencyKey: $key})', "Transfer"),
    "payByMobile": (
        'payByMobile(input: {mobileNumber: "+14155550123", amount: "1.00", idempotencyKey: $key})',
        "PayByMobile",
    ),
    "withdraw": ('withdraw(input: {amount: "1.00", idempotencyKey: $key})', "Withdraw"),
    "createHold": (
        'createHold(input: {receiverUsername: "bob", amount: "1.00", idempotencyKey: $key, expiresInSeconds: 60})',
        "CreateHold",
    ),
}
# The engine's call, as a statement prepared on the connection (or the plain call behind PgBouncer).
ENGINE_CALL = re.compile(r"^SELECT set_config\('lock_timeout'.*; (EXECUTE wallet_post_call|SELECT wallet_post)\(", re.S)


def _statements(client: Client, token: str, document: str, key: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            "/graphql/",
            {"query": document, "variables": {"key": key}},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    body = response.json()
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    assert payload["errors"] == [], payload
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("name", MUTATIONS)
def test_a_money_mutation_is_two_round_trips_the_user_and_one_engine_call(name, make_user, fund, token_for):
    alice, _ = make_user("alice"), make_user("bob", mobile_number="+14155550123")
    fund(alice, "100.00")
    field, operation = MUTATIONS[name]
    document = f"mutation {operation}($key: String!) {{ {field} {{ {PAYLOAD} }} }}"
    client, token = Client(), token_for(alice)

    # The second runs on a kept connection, whose statements the first prepared (PREPARE, once per connection).
    for key in (f"warm-{uuid.uuid4()}", f"measured-{uuid.uuid4()}"):
        statements = _statements(client, token, document, key)

    assert len(statements) == 2, statements
    user_lookup, engine_call = statements
    assert user_lookup.startswith("EXECUTE wallet_user_by_name(")  # prepared: SELECT … FROM wallet_user … wallet_wallet
    assert ENGINE_CALL.match(engine_call), engine_call
    # Replaying the key costs the same two, and moves nothing.
    count = Transaction.objects.count()
    assert len(_statements(client, token, document, key)) == 2
    assert Transaction.objects.count() == count


def test_a_batch_of_a_hundred_transfers_is_the_same_two_round_trips(make_user, fund, token_for):
    alice = make_user("alice")
    for name in ("bob", "carol", "dave"):
        make_user(name)
    fund(alice, "1000.00")
    items = ", ".join(f'{{receiverUsername: "{("bob", "carol", "dave")[i % 3]}", amount: "1.00"}}' for i in range(100))
    document = (
        f"mutation Batch($key: String!) {{ transferBatch(input: {{transfers: [{items}], idempotencyKey: $key}}) {{"
        " transactions { id status } wallet { balance } replayed errors { code field message } } }"
    )

    client, token = Client(), token_for(alice)
    _statements(client, token, document, "batch-0")  # the connection's first: it prepares its statements
    statements = _statements(client, token, document, "batch-1")

    assert len(statements) == 2, statements
    assert ENGINE_CALL.match(statements[1])
    assert Transaction.objects.filter(idempotency_key__startswith="batch-1#", status="SUCCESS").count() == 100
