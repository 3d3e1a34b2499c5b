"""docker-compose.yml's process layout, run for real on this machine (no Docker engine): `python -m scripts.harness
stack` starts a PostgreSQL and a redis-server, runs the Procfile's release (migrate), then web (gunicorn), realtime
(daphne), worker (Celery), relay, receipts, notifier, webhooks, webhook_sender and scheduler under honcho with
production settings. Through them all, over HTTP with the headers a TLS-ending proxy sets: two users register, one
adds money and pays the other, who watches walletEvents over WebSocket on realtime and has a webhook endpoint; the
transfer's event reaches the Redis stream and every consumer group, its signed webhook reaches the receiver, and its
PDF receipts become READY and download. Then SIGTERM stops everything within compose's grace, and
nothing is left behind.
"""

import base64
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
import redis
import requests
import yaml
from standardwebhooks.webhooks import Webhook
from websockets.sync.client import connect

from tests.conftest import unavailable
from tests.support.receiver import Receiver

ROOT = Path(__file__).resolve().parents[2]
HOST = "wallet.example.com"  # the host name .env.example ships: the checks must pass with a real one
PROXY_HEADERS = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}
SERVICES = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
PASSWORD = "Sm0ke-stack-Passw0rd!"

REGISTER = "mutation($input: RegisterInput!) { register(input: $input) { user { username } token errors { code } } }"
ADD_MONEY = (
    "mutation($input: AddMoneyInput!) { addMoney(input: $input) {"
    " transaction { status } wallet { balance } errors { code } } }"
)
TRANSFER = (
    "mutation($input: TransferInput!) { transfer(input: $input) {"
    " transaction { id status } wallet { balance } errors { code } } }"
)
RECEIPT = "query($id: ID!) { transaction(id: $id) { receipt { status url } } }"
SUBSCRIPTION = "subscription { walletEvents { type kind status amount balance transactionId } }"
ADD_ENDPOINT = (
    "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {"
    " endpoint { id } secret errors { code } } }"
)


class Layout:
    """The harness's stack as a process of its own; its output (honcho's) is read as it comes."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scripts.harness", "stack", "--allowed-hosts", HOST],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def wait_for_start(self) -> None:
        first = self.next_line(timeout=120)
        assert first.startswith("{"), self.output()
        self.where = json.loads(first)
        self.env = self.where["env"]

    def close(self) -> None:
        """After a failure: SIGTERM as in the test, then SIGKILL to whatever is left of the whole layout."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            self._queue.put(line)

    def next_line(self, timeout: float) -> str:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the stack printed nothing within {timeout} s:\n{self.output()}") from None

    def output(self, last: int = 80) -> str:
        return "\n".join(self.lines[-last:])

    def url(self, name: str, path: str) -> str:
        return self.where[name] + path

    def wait_for(self, what: str, probe, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while True:
            try:
                result = probe()
            except (OSError, requests.RequestException, redis.RedisError):
                result = None
            if result:
                return result
            assert self.process.poll() is None, f"the stack exited while waiting for {what}:\n{self.output()}"
            assert time.monotonic() < deadline, f"{what}: not within {timeout} s\n{self.output()}"
            time.sleep(0.3)

    def graphql(self, query: str, variables: dict, token: str | None = None) -> dict:
        headers = {**PROXY_HEADERS, **({"Authorization": f"Bearer {token}"} if token else {})}
        response = requests.post(
            self.url("web", "/graphql/"), json={"query": query, "variables": variables}, headers=headers, timeout=30
        )
        assert response.status_code == 200, response.text[:500]
        body = response.json()
        assert "errors" not in body, body
        return body["data"]

    def started(self) -> dict[str, int]:
        return {m[1]: int(m[2]) for line in self.lines if (m := re.search(r"(\w+) started \(pid=(\d+)\)", line))}


@pytest.fixture
def layout():
    if shutil.which("redis-server") is None:
        unavailable("needs redis-server (apt-get install redis-server) for the compose layout's Redis")
    layout = Layout()
    try:
        layout.wait_for_start()
        yield layout
    finally:
        layout.close()


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE  # a zombie has exited: only its parent has yet to reap it
    except psutil.NoSuchProcess:
        return False


def _group(process: psutil.Process) -> int | None:
    try:
        return os.getpgid(process.pid)
    except ProcessLookupError:
        return None


def healthcheck(layout: Layout, name: str) -> subprocess.CompletedProcess:
    """The service's own compose healthcheck command, pointed at the local port."""
    test = SERVICES[name]["healthcheck"]["test"]
    argv = test[1:] if test[0] == "CMD" else ["/bin/sh", "-c", test[1].replace("$$", "$")]
    if name in ("web", "realtime"):
        port = urlsplit(layout.where[name]).port
        argv = [re.sub(r"127\.0\.0\.1:800[01]", f"127.0.0.1:{port}", part) for part in argv]
    env = {**layout.env, "HOSTNAME": socket.gethostname()}
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_the_compose_layout_runs_locally_and_moves_money_end_to_end(layout):
    # Up: every process of the Procfile started; the probes and compose's own healthchecks pass.
    ready = layout.wait_for("web /readyz", lambda: requests.get(layout.url("web", "/readyz"), timeout=5), 120)
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "redis": "ok"}
    assert layout.wait_for("realtime /healthz", lambda: requests.get(layout.url("realtime", "/healthz"), timeout=5))
    for name in ("web", "realtime", "worker"):
        layout.wait_for(f"{name}'s healthcheck", lambda name=name: healthcheck(layout, name).returncode == 0, 90)
    assert set(layout.started()) == {
        "web", "realtime", "worker", "relay", "receipts", "notifier", "webhooks", "webhook_sender", "scheduler"
    }  # fmt: skip

    # Production settings: plain HTTP is sent to HTTPS.
    plain = requests.post(
        layout.url("web", "/graphql/"), json={"query": "{ __typename }"}, headers={"Host": HOST}, timeout=10,
        allow_redirects=False,
    )  # fmt: skip
    assert plain.status_code == 301 and plain.headers["Location"].startswith(f"https://{HOST}/")

    tokens = {}
    for name in ("smokealice", "smokebob"):
        payload = layout.graphql(REGISTER, {"input": {"username": name, "password": PASSWORD}})["register"]
        assert payload["errors"] == [] and payload["user"]["username"] == name
        tokens[name] = payload["token"]
    topup = {"input": {"amount": "100.00", "idempotencyKey": "smoke-topup"}}
    added = layout.graphql(ADD_MONEY, topup, tokens["smokealice"])["addMoney"]
    assert added["transaction"]["status"] == "SUCCESS" and Decimal(added["wallet"]["balance"]) == 100
    receiver = Receiver()
    endpoint = {"input": {"url": receiver.url("/smokebob"), "eventTypes": ["TRANSACTION_SUCCEEDED"]}}
    created = layout.graphql(ADD_ENDPOINT, endpoint, tokens["smokebob"])["createWebhookEndpoint"]
    assert created["errors"] == [], created

    cache = redis.Redis.from_url(layout.env["REDIS_URL"], decode_responses=True)
    realtime = urlsplit(layout.where["realtime"])
    with connect(f"ws://{realtime.netloc}/graphql/", subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": tokens["smokebob"]}}))
        assert json.loads(ws.recv(timeout=15))["type"] == "connection_ack"
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
        # Subscribed once channels-redis holds the wallet's group.
        layout.wait_for("the subscription's group", lambda: list(cache.scan_iter(match="asgi:group:wallet.*")), 20)

        transfer = {"input": {"receiverUsername": "smokebob", "amount": "12.50", "idempotencyKey": "smoke-transfer"}}
        paid = layout.graphql(TRANSFER, transfer, tokens["smokealice"])["transfer"]
        assert paid["transaction"]["status"] == "SUCCESS" and Decimal(paid["wallet"]["balance"]) == Decimal("87.50")
        transaction_id = paid["transaction"]["id"]

        # relay -> Redis -> notifier -> channels-redis -> daphne -> the receiver's socket
        event = None
        deadline = time.monotonic() + 30
        while event is None and time.monotonic() < deadline:
            message = json.loads(ws.recv(timeout=30))
            if message["type"] == "next" and message["payload"]["data"]["walletEvents"]["transactionId"] == (
                transaction_id
            ):
                event = message["payload"]["data"]["walletEvents"]
    assert event is not None, layout.output()
    assert (event["type"], event["kind"], event["status"]) == ("transaction.succeeded", "TRANSFER", "SUCCESS")
    assert Decimal(event["amount"]) == Decimal("12.50") and Decimal(event["balance"]) == Decimal("12.50")

    # The event is on a wallet-events stream, and every consumer group acknowledged it.
    pk = int(base64.b64decode(transaction_id).decode().split(":")[1])

    def published():
        for key in cache.scan_iter(match="wallet-events:*", _type="stream"):
            for entry_id, fields in cache.xrange(key):
                if json.loads(fields["event"])["transaction_id"] == pk:
                    return key, entry_id
        return None

    key, entry_id = layout.wait_for("the transfer's event on Redis", published, 30)

    def entry(value: str) -> tuple[int, int]:
        ms, _, seq = value.partition("-")
        return int(ms), int(seq or 0)

    def consumed():
        groups = {group["name"]: group for group in cache.xinfo_groups(key)}
        return all(
            group in groups and groups[group]["pending"] == 0
            and entry(groups[group]["last-delivered-id"]) >= entry(entry_id)
            for group in ("receipts", "realtime", "webhooks")
        )  # fmt: skip

    layout.wait_for("every consumer group to acknowledge the event", consumed, 30)

    # relay -> Redis -> webhooks (a delivery) -> webhook_sender -> the receiver, signed
    try:
        [delivered] = layout.wait_for("the webhook", lambda: receiver.at("/smokebob"), 30)
    finally:
        receiver.stop()
    webhook = Webhook(created["secret"]).verify(delivered.body, delivered.headers)
    assert webhook["type"] == "transaction.succeeded" and webhook["data"]["transaction_id"] == pk

    # Each participant's receipt: READY, linked over https on the proxy's host, a PDF.
    for name in tokens:
        receipt = layout.wait_for(
            f"{name}'s receipt",
            lambda name=name: (
                (r := layout.graphql(RECEIPT, {"id": transaction_id}, tokens[name])["transaction"])
                and r["receipt"]["status"] == "READY"
                and r["receipt"]
            ),
            90,
        )
        link = urlsplit(receipt["url"])
        assert (link.scheme, link.netloc) == ("https", HOST)
        download = requests.get(layout.url("web", link.path), headers=PROXY_HEADERS, timeout=30)
        assert download.status_code == 200 and download.headers["Content-Type"] == "application/pdf"
        assert download.content.startswith(b"%PDF")

    # The scheduler ran its first pass: every step.
    for step in (
        r"expired holds released: \d+",
        r"standing order occurrences: \d+ paid",
        r"payment requests expired: \d+",
    ):
        layout.wait_for("the scheduler", lambda step=step: any(re.search(step, x) for x in layout.lines), 30)
    assert not [line for line in layout.lines if re.search(r"\w+ stopped \(rc=", line)], layout.output()

    # Stop: SIGTERM, as `docker compose stop` sends; everything exits within its grace, nothing is left.
    started = layout.started()
    postmaster = [p for p in psutil.process_iter(["cmdline"]) if layout.where["postgres_dir"] in " ".join(
        p.info["cmdline"] or [])]  # fmt: skip
    assert postmaster
    os.kill(layout.process.pid, signal.SIGTERM)
    assert layout.process.wait(timeout=60) == 0, layout.output()
    time.sleep(0.5)  # the reader thread takes the last lines
    stopped = {m[1] for line in layout.lines if (m := re.search(r"(\w+) stopped \(rc=", line))}
    assert stopped == set(started), layout.output()
    assert not [line for line in layout.lines if "SIGKILL" in line], layout.output()
    # Nothing left of the processes or of anything they started (each ran in a process group of its own).
    assert not [process for process in psutil.process_iter() if _alive(process) and _group(process) in started.values()]
    assert not [process for process in postmaster if _alive(process)]
    assert not Path(layout.where["postgres_dir"]).exists() and not Path(layout.where["run_dir"]).exists()
