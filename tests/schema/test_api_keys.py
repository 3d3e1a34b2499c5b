"""API keys over HTTP: a server acts as the key's owner with only the key's scopes; revoked, expired, tampered and
escalating keys get nothing, and nothing moves."""

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from tests.schema import documents as doc
from wallet.models import ApiKey, Transaction

pytestmark = pytest.mark.django_db(transaction=True)

CREATE = """
mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  apiKey { id name prefix scopes expiresAt revokedAt } key errors { code field } } }
"""
REVOKE = "mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { revokedAt } errors { code } } }"
LIST = "{ apiKeys { name prefix scopes lastUsedAt } }"
WALLET = "{ wallet { balance } }"
PAY = (
    'mutation { transfer(input: {receiverUsername: "bob", amount: "1.00", idempotencyKey: "%s"}) {'
    " transaction { status } errors { code } } }"
)


@pytest.fixture
def url(live_server):
    return f"{live_server.url}/graphql/"


class KeyClient:
    """A server calling the API with an API key."""

    def __init__(self, url: str, key: str) -> None:
        self.url, self.key = url, key

    def post(self, query: str, variables: dict | None = None) -> requests.Response:
        headers = {"Authorization": f"ApiKey {self.key}"}
        return requests.post(self.url, json={"query": query, "variables": variables or {}}, headers=headers, timeout=30)

    def codes(self, query: str, variables: dict | None = None) -> list[str]:
        body = self.post(query, variables).json()
        return [error["extensions"]["code"] for error in body.get("errors") or []]


def make_key(as_user, *scopes: str, **extra) -> tuple[str, dict]:
    created = as_user.execute(CREATE, {"input": {"name": "shop server", "scopes": list(scopes), **extra}})[
        "createApiKey"
    ]
    assert created["errors"] == [], created
    return created["key"], created["apiKey"]


def test_a_key_acts_as_its_owner_with_its_scopes_and_is_shown_once(as_alice, alice, bob, fund, url):
    fund(alice, "100.00")
    secret, key = make_key(as_alice, "READ", "MOVE_MONEY")
    server = KeyClient(url, secret)

    assert secret.startswith(f"wk_{key['prefix']}_") and set(key["scopes"]) == {"READ", "MOVE_MONEY"}
    assert server.post(WALLET).json() == {"data": {"wallet": {"balance": "100.00"}}}
    paid = server.post(PAY % "from-server").json()["data"]["transfer"]
    assert paid == {"transaction": {"status": "SUCCESS"}, "errors": []}
    listed = as_alice.execute(LIST)["apiKeys"]
    assert listed[0]["prefix"] == key["prefix"] and listed[0]["lastUsedAt"] is not None
    assert secret not in str(listed)  # the secret is never shown again
    assert ApiKey.objects.get(prefix=key["prefix"]).secret_hash != secret.split("_", 2)[2]  # stored hashed


def test_a_call_outside_the_keys_scopes_is_forbidden_and_moves_nothing(as_alice, alice, bob, fund, url):
    fund(alice, "100.00")
    reader = KeyClient(url, make_key(as_alice, "READ")[0])
    mover = KeyClient(url, make_key(as_alice, "MOVE_MONEY")[0])
    count = Transaction.objects.count()

    assert reader.codes(PAY % "nope") == ["FORBIDDEN"]
    hold = {"input": {"receiverUsername": "bob", "amount": "1.00", "idempotencyKey": "h", "expiresInSeconds": 60}}
    assert mover.codes(doc.CREATE_HOLD, hold) == ["FORBIDDEN"]
    assert mover.codes(WALLET) == ["FORBIDDEN"]
    assert Transaction.objects.count() == count


def test_a_key_cannot_mint_keys_or_list_them(as_alice, alice, url):
    everything = KeyClient(url, make_key(as_alice, "READ", "MOVE_MONEY", "HOLDS", "WEBHOOKS")[0])

    assert everything.codes(CREATE, {"input": {"name": "escalated", "scopes": ["READ"]}}) == ["FORBIDDEN"]
    assert everything.codes(LIST) == ["FORBIDDEN"]
    assert ApiKey.objects.count() == 1


def test_revoked_expired_and_tampered_keys_get_nothing(as_alice, alice, fund, url):
    fund(alice, "10.00")
    revoked_secret, revoked = make_key(as_alice, "READ")
    assert as_alice.execute(REVOKE, {"id": revoked["id"]})["revokeApiKey"]["apiKey"]["revokedAt"] is not None
    expired_secret, expired = make_key(as_alice, "READ", expiresInDays=1)
    ApiKey.objects.filter(prefix=expired["prefix"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    good_secret, _ = make_key(as_alice, "READ")
    tampered = good_secret[:-1] + ("A" if good_secret[-1] != "A" else "B")
    other_prefix = "wk_000000000000_" + good_secret.split("_", 2)[2]

    for secret in (revoked_secret, expired_secret, tampered, other_prefix, "wk_garbage", ""):
        assert KeyClient(url, secret).codes(WALLET) == ["UNAUTHENTICATED"], secret
    assert KeyClient(url, good_secret).codes(WALLET) == []


def test_a_key_reaches_only_its_owners_objects(as_alice, alice, bob, fund, url, api, token_for, make_user):
    fund(alice, "50.00")
    make_user("carol")
    as_bob = api.as_user(token_for(bob))
    hold = as_alice.execute(
        doc.CREATE_HOLD,
        {"input": {"receiverUsername": "carol", "amount": "5.00", "idempotencyKey": "h", "expiresInSeconds": 60}},
    )
    bobs_key = KeyClient(url, make_key(as_bob, "READ", "HOLDS")[0])
    alices_txn = as_alice.execute("{ transactions(first: 1) { edges { node { id } } } }")["transactions"]["edges"][0]

    seen = bobs_key.post("query($id: ID!) { transaction(id: $id) { id } }", {"id": alices_txn["node"]["id"]}).json()
    assert seen == {"data": {"transaction": None}}
    hold_id = hold["createHold"]["transaction"]["id"]
    capture = {"input": {"holdId": hold_id, "idempotencyKey": "steal"}}
    body = bobs_key.post(doc.CAPTURE_HOLD, capture).json()["data"]["captureHold"]
    assert [error["code"] for error in body["errors"]] == ["HOLD_NOT_FOUND"]


def test_each_key_has_its_own_rate_limit(as_alice, alice, url, settings):
    settings.API_KEY_RATE = "3/m"
    first, second = KeyClient(url, make_key(as_alice, "READ")[0]), KeyClient(url, make_key(as_alice, "READ")[0])

    answers = [first.post(WALLET) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert answers[-1].headers["Retry-After"] == "60"
    assert second.post(WALLET).status_code == 200  # another key counts on its own


def test_a_secret_holding_underscores_authenticates(alice):
    from hashlib import sha256

    from wallet.services.api_keys import api_key_authenticate, api_key_create

    issued = api_key_create(owner=alice, name="k", scopes=["READ"])
    ApiKey.objects.filter(pk=issued.key.pk).update(secret_hash=sha256(b"a_b-c_").hexdigest())

    assert api_key_authenticate(f"wk_{issued.key.prefix}_a_b-c_") == issued.key
    assert api_key_authenticate(f"wk_{issued.key.prefix}_a_b-c") is None
