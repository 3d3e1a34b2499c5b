"""Probes, request ids, JSON logs, CORS for the SPA's origin only, and the Prometheus metrics."""

import json
import os
import time
from unittest import mock

import pytest
import requests
from django.db.utils import OperationalError

from scripts import harness
from tests.schema import documents as doc

pytestmark = pytest.mark.django_db(transaction=True)


def test_healthz_and_readyz(live_server):
    assert requests.get(f"{live_server.url}/healthz", timeout=10).json() == {"status": "ok"}
    ready = requests.get(f"{live_server.url}/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


def test_readyz_answers_503_when_the_database_does_not(client):
    with mock.patch("server.health.connection.cursor", side_effect=OperationalError("could not connect")):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "error: OperationalError", "redis": "not configured"},
    }


def test_readyz_checks_redis_when_it_is_configured(client, settings, redis_url):
    settings.REDIS_URL = redis_url
    assert client.get("/readyz").json()["checks"]["redis"] == "ok"

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["checks"]["redis"].startswith("error")


def test_every_response_carries_a_request_id(live_server):
    offered = requests.post(
        f"{live_server.url}/graphql/", json={"query": "{ __typename }"}, headers={"X-Request-ID": "abc12345-from-proxy"}
    )
    made = requests.post(f"{live_server.url}/graphql/", json={"query": "{ __typename }"})
    junk = requests.post(
        f"{live_server.url}/graphql/", json={"query": "{ __typename }"}, headers={"X-Request-ID": "<script>"}
    )

    assert offered.headers["X-Request-ID"] == "abc12345-from-proxy"
    assert len(made.headers["X-Request-ID"]) == 32
    assert junk.headers["X-Request-ID"] != "<script>"


def test_logs_are_json_lines_with_the_request_id(database_url):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LOG_FORMAT": "json",
        "ACCESS_LOG_LEVEL": "INFO",
        "REDIS_URL": "",
    }
    server = harness.daphne(env)
    try:
        requests.get(f"http://127.0.0.1:{server.port}/healthz", headers={"X-Request-ID": "req-0001-abcdef"}, timeout=10)
        time.sleep(0.3)
    finally:
        server.stop()
    stderr = server.log.read_text()

    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "wallet.access"]
    assert access, stderr[-2000:]
    # The last line is this request's (the harness's readiness probe came first).
    assert access[-1]["request_id"] == "req-0001-abcdef"
    assert access[-1]["path"] == "/healthz" and access[-1]["status"] == 200 and access[-1]["level"] == "INFO"


def test_cors_allows_the_spas_origin_only(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]
    preflight = {"HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST", "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization"}

    allowed = client.options("/graphql/", HTTP_ORIGIN="https://app.example", **preflight)
    other = client.options("/graphql/", HTTP_ORIGIN="https://evil.example", **preflight)

    assert allowed["Access-Control-Allow-Origin"] == "https://app.example"
    assert "authorization" in allowed["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in other
    assert "Access-Control-Allow-Credentials" not in allowed


def test_metrics_count_transfers_by_status_and_time_lock_waits(live_server, api, make_user, fund, token_for):
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "10.00")
    as_alice = api.as_user(token_for(alice))

    def sample(text: str, name: str) -> float:
        found = [line for line in text.splitlines() if line.startswith(name + " ") or line.startswith(name + "{")]
        return sum(float(line.rsplit(" ", 1)[1]) for line in found)

    before = requests.get(f"{live_server.url}/metrics", timeout=10).text
    for key, amount in (("ok", "4.00"), ("too-much", "40.00")):
        as_alice.execute(doc.TRANSFER, {"input": {"receiverUsername": "bob", "amount": amount, "idempotencyKey": key}})
    after = requests.get(f"{live_server.url}/metrics", timeout=10).text

    succeeded = 'wallet_transactions_total{kind="TRANSFER",status="SUCCESS"}'
    failed = 'wallet_transactions_total{kind="TRANSFER",status="FAILED"}'
    assert sample(after, succeeded) - sample(before, succeeded) == 1
    assert sample(after, failed) - sample(before, failed) == 1
    assert sample(after, "wallet_lock_wait_seconds_count") - sample(before, "wallet_lock_wait_seconds_count") == 2
    assert "django_http_requests_total_by_method_total" in after


def test_probes_answer_a_container_health_check_whatever_the_allowed_hosts(client, settings):
    """The health check calls http://127.0.0.1: neither an allowed host nor HTTPS in production."""
    settings.ALLOWED_HOSTS = ["wallet.example"]
    settings.SECURE_SSL_REDIRECT = True

    for path in ("/healthz", "/readyz"):
        assert client.get(path, HTTP_HOST="127.0.0.1:8000").status_code == 200, path
    assert client.get("/graphql/", HTTP_HOST="127.0.0.1:8000").status_code == 400  # everything else still checks


@pytest.mark.parametrize(
    "proxies, forwarded, remote, expected",
    [
        (0, "6.6.6.6", "10.0.0.2", "10.0.0.2"),  # no trusted proxy: the header is the client's to forge
        (1, "203.0.113.7", "10.0.0.2", "203.0.113.7"),  # nginx appended the client's address
        (1, "6.6.6.6, 203.0.113.7", "10.0.0.2", "203.0.113.7"),  # a forged entry left of it is ignored
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.9", "10.0.0.2", "203.0.113.7"),  # load balancer + nginx
        (1, "", "10.0.0.2", "10.0.0.2"),  # no header: the socket's address
    ],
)
def test_the_client_address_for_rate_limits_comes_from_the_trusted_proxies_only(
    rf, settings, proxies, forwarded, remote, expected
):
    from schema.throttle import client_address

    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.post("/graphql/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)

    assert client_address(request) == expected
