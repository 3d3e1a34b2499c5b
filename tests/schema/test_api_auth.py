"""Registration, tokens and who may call what, over real HTTP."""

import base64
import json
from datetime import timedelta

import jwt
import pytest
import requests
from django.conf import settings
from django.utils import timezone

from tests.schema import documents as doc

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "s3cure-Passw0rd"

GUARDED_QUERIES = [doc.ME, doc.WALLET, doc.TRANSACTIONS, doc.LEDGER_ENTRIES]
GUARDED_MUTATIONS = [
    (doc.ADD_MONEY, {"amount": "1", "idempotencyKey": "k"}),
    (doc.TRANSFER, {"receiverUsername": "bob", "amount": "1", "idempotencyKey": "k"}),
    (doc.PAY_BY_MOBILE, {"mobileNumber": "+14155550123", "amount": "1", "idempotencyKey": "k"}),
    (doc.WITHDRAW, {"amount": "1", "idempotencyKey": "k"}),
]


def register(api, username="alice", password=PASSWORD, mobile=None):
    variables = {"input": {"username": username, "password": password, "mobileNumber": mobile}}
    return api.execute(doc.REGISTER, variables)["register"]


def test_register_signs_the_user_in_with_an_empty_wallet(api):
    registered = register(api, mobile="+1 (415) 555-0123")

    assert registered["errors"] == []
    assert registered["user"]["username"] == "alice"
    assert registered["user"]["mobileNumber"] == "+14155550123"
    assert registered["user"]["wallet"]["balance"] == "0.00"
    me = api.as_user(registered["token"]).execute(doc.ME)["me"]
    assert me["id"] == registered["user"]["id"]


@pytest.mark.parametrize(
    ("variables", "code", "field"),
    [
        ({"username": "alice", "password": PASSWORD}, "USERNAME_TAKEN", "username"),
        (
            {"username": "bob", "password": PASSWORD, "mobileNumber": "+14155550123"},
            "MOBILE_NUMBER_TAKEN",
            "mobileNumber",
        ),
        ({"username": "bob", "password": PASSWORD, "mobileNumber": "call me"}, "INVALID_MOBILE_NUMBER", "mobileNumber"),
        ({"username": "bob", "password": "12345678"}, "WEAK_PASSWORD", "password"),
        ({"username": "no spaces allowed", "password": PASSWORD}, "INVALID_INPUT", "username"),
    ],
)
def test_register_refusals_come_back_as_payload_errors(api, variables, code, field):
    register(api, mobile="+14155550123")

    result = api.execute(doc.REGISTER, {"input": variables})["register"]

    assert result["user"] is None and result["token"] is None
    assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, field)]


def test_login_refresh_rotation_and_revocation(api):
    register(api)

    login = api.execute(doc.TOKEN_AUTH, {"username": "alice", "password": PASSWORD})["tokenAuth"]
    assert login["errors"] == [] and login["user"]["username"] == "alice"

    refreshed = api.execute(doc.REFRESH_TOKEN, {"refreshToken": login["refreshToken"]})["refreshToken"]
    assert refreshed["errors"] == []
    assert refreshed["refreshToken"] != login["refreshToken"]
    assert api.as_user(refreshed["token"]).execute(doc.ME)["me"]["username"] == "alice"

    revoked = api.execute(doc.REVOKE_TOKEN, {"refreshToken": refreshed["refreshToken"]})["revokeToken"]
    assert revoked == {"revoked": True, "errors": []}
    after = api.execute(doc.REFRESH_TOKEN, {"refreshToken": refreshed["refreshToken"]})["refreshToken"]
    assert after["errors"][0]["code"] == "INVALID_TOKEN"
    again = api.execute(doc.REVOKE_TOKEN, {"refreshToken": refreshed["refreshToken"]})["revokeToken"]
    assert again["revoked"] is False and again["errors"][0]["code"] == "INVALID_TOKEN"
    # The rotated-away token is refused too (reusing it also revokes the rest: tests/attacks/).
    reused = api.execute(doc.REFRESH_TOKEN, {"refreshToken": login["refreshToken"]})["refreshToken"]
    assert reused["token"] is None and reused["errors"][0]["code"] == "INVALID_TOKEN"


def test_wrong_password_is_invalid_credentials(api):
    register(api)

    result = api.execute(doc.TOKEN_AUTH, {"username": "alice", "password": "nope"})["tokenAuth"]

    assert result["token"] is None
    assert [e["code"] for e in result["errors"]] == ["INVALID_CREDENTIALS"]


def test_verify_token(api):
    token = register(api)["token"]

    valid = api.execute(doc.VERIFY_TOKEN, {"token": token})["verifyToken"]
    invalid = api.execute(doc.VERIFY_TOKEN, {"token": token + "x"})["verifyToken"]

    assert valid["errors"] == [] and valid["payload"]["username"] == "alice"
    assert invalid["payload"] is None and invalid["errors"][0]["code"] == "INVALID_TOKEN"


@pytest.mark.parametrize("document", GUARDED_QUERIES)
def test_guarded_queries_without_a_token_are_unauthenticated_with_no_data(api, document):
    response = api.request(document)

    assert response.data is None
    assert response.error_codes == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(("document", "variables"), GUARDED_MUTATIONS)
def test_money_mutations_without_a_token_are_unauthenticated(api, document, variables):
    response = api.request(document, {"input": variables})

    assert response.data is None
    assert response.error_codes == ["UNAUTHENTICATED"]


def _forge(payload: dict, key: str = settings.SECRET_KEY, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


def _alg_none(payload: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}."


def test_forged_expired_and_tampered_tokens_are_anonymous(api):
    token = register(api)["token"]
    exp = int((timezone.now() + timedelta(minutes=5)).timestamp())
    header, body, signature = token.split(".")
    tampered_body = (
        base64.urlsafe_b64encode(json.dumps({"username": "alice", "exp": exp + 3600}).encode()).rstrip(b"=").decode()
    )

    bad_tokens = {
        "expired": _forge({"username": "alice", "exp": int((timezone.now() - timedelta(seconds=5)).timestamp())}),
        "wrong key": _forge({"username": "alice", "exp": exp}, key="not-the-server-key-but-32-bytes-long"),
        "alg none": _alg_none({"username": "alice", "exp": exp}),
        "tampered": f"{header}.{tampered_body}.{signature}",
        "garbage": "not.a.token",
    }
    for name, bad in bad_tokens.items():
        response = api.as_user(bad).request(doc.ME)
        assert response.error_codes == ["UNAUTHENTICATED"], name


def test_only_the_bearer_header_authenticates(api, live_server):
    token = register(api)["token"]
    url = f"{live_server.url}/graphql/"
    body = {"query": doc.ME}

    wrong_prefix = requests.post(url, json=body, headers={"Authorization": f"JWT {token}"}, timeout=10).json()
    as_cookie = requests.post(url, json=body, cookies={"JWT": token}, timeout=10).json()
    bearer = requests.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10).json()

    assert wrong_prefix["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert as_cookie["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert bearer["data"]["me"]["username"] == "alice"


def test_a_django_session_grants_nothing_on_the_api(api, live_server, make_user):
    make_user("staff", password=PASSWORD)
    session = requests.Session()
    login_page = session.get(f"{live_server.url}/admin/login/", timeout=10)
    assert login_page.status_code == 200
    from wallet.models import User

    User.objects.filter(username="staff").update(is_staff=True, is_superuser=True)
    session.post(
        f"{live_server.url}/admin/login/",
        data={"username": "staff", "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{live_server.url}/admin/login/"},
        timeout=10,
    )
    assert "sessionid" in session.cookies

    response = session.post(f"{live_server.url}/graphql/", json={"query": doc.ME}, timeout=10).json()

    assert response["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
