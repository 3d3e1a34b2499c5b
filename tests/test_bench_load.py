"""bench/run's load generator (wrk with bench/load.lua), its CPU accounting and the pipeline's drain condition.

The requests of every mode go through wrk to the real service (Django's test client behind a small HTTP server), so
the documents, variables and tokens the script sends are the ones the schema accepts, and the script counts them
as successes. They need wrk (and, for the drain, redis-server): bench/run and .ci/run install both.
"""

import http.server
import json
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench import cpu, wrk
from tests.conftest import unavailable


@pytest.fixture
def needs_wrk():
    if shutil.which("wrk") is None:
        unavailable("needs wrk (apt-get install wrk), bench/run's load generator")


class _Server(http.server.HTTPServer):
    """Answers each POST with `answer(auth, body) -> (status, bytes)` and keeps what was asked; one thread."""

    def __init__(self, answer):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer, self.captured, self.timeout = answer, [], 0.05
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/graphql/"

    def _serve(self) -> None:
        from django.db import connections

        try:
            while not self.stopped.is_set():
                self.handle_request()
        finally:
            connections.close_all()  # this thread's database connection

    def handle_error(self, request, client_address) -> None:
        pass  # wrk drops its connections when its time is up

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)
        self.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        auth = self.headers.get("Authorization", "")
        self.server.captured.append((auth, json.loads(body)))
        status, payload = self.server.answer(auth, body)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")  # as gunicorn's sync workers do
        self.end_headers()
        self.wfile.write(payload)
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.mark.usefixtures("needs_wrk")
def test_the_script_counts_successes_refusals_graphql_errors_and_http_errors(tmp_path):
    answers = [
        ("ok", 200, {"data": {"transfer": {"transaction": {"id": "VHJh", "status": "SUCCESS"}, "errors": []}}}),
        ("payload", 200, {"data": {"transfer": {"transaction": None, "errors": [{"code": "INSUFFICIENT_FUNDS"}]}}}),
        ("graphql", 200, {"data": None, "errors": [{"message": "Variable '$input' got invalid value"}]}),
        ("graphql", 200, {"data": {"transfer": None}, "errors": [{"message": "boom", "path": ["transfer"]}]}),
        ("http", 503, {"data": None, "errors": [{"message": "Try again", "extensions": {"code": "RETRY_LATER"}}]}),
    ]
    sent = {"ok": 0, "payload": 0, "graphql": 0, "http": 0}

    def answer(auth, body):
        kind, status, payload = answers[sum(sent.values()) % len(answers)]
        sent[kind] += 1
        return status, json.dumps(payload).encode()

    users = wrk.write_users(tmp_path / "users.tsv", [("alice", "a.b.c"), ("bob", "d.e.f")])
    server = _Server(answer)
    try:
        result = wrk.run(server.url, mode="spread", connections=1, duration_s=1, users_file=users, workdir=tmp_path)
    finally:
        server.stop()

    counted = {
        "ok": result["ok"],
        "payload": result["errors"]["payload"],
        "graphql": result["errors"]["graphql"],
        "http": result["errors"]["http"],
    }
    assert sum(counted.values()) == result["requests"] > 20
    for kind, count in counted.items():  # the answer in flight when wrk stopped is sent but not counted
        assert sent[kind] - 1 <= count <= sent[kind], (kind, counted, sent)
    assert result["errors"]["http_statuses"] == {"503": counted["http"]}
    assert result["failed"] == result["requests"] - result["ok"]
    assert result["errors"]["samples"] and result["p50_ms"] is not None
    assert result["cpu_ms_per_request"]["loadgen"] is not None


@pytest.mark.usefixtures("needs_wrk")
@pytest.mark.django_db(transaction=True)
def test_every_mode_sends_requests_the_service_accepts(tmp_path):
    from django.test import Client
    from graphql_jwt.shortcuts import get_token

    from bench import fixtures
    from wallet.models import User

    fixtures.create_funded_users(prefix="user", count=110, balance_minor=1_000_000, password="x")
    fixtures.create_funded_users(prefix="merchant", count=1, balance_minor=1_000_000, password="x")
    names = list(User.objects.filter(username__startswith="user").values_list("username", flat=True))
    users = [(name, get_token(User(username=name))) for name in names]
    username_of = {f"Bearer {token}": name for name, token in users}
    users_file = wrk.write_users(tmp_path / "users.tsv", users)

    def answer(auth, body):
        response = Client().post("/graphql/", data=body, content_type="application/json", HTTP_AUTHORIZATION=auth)
        return response.status_code, response.content

    servers = {mode: _Server(answer) for mode in wrk.MODES}
    try:
        with ThreadPoolExecutor(len(servers)) as pool:
            runs = {
                mode: pool.submit(
                    wrk.run,
                    server.url,
                    mode=mode,
                    connections=2,
                    duration_s=1,
                    users_file=users_file,
                    workdir=tmp_path,
                    receiver="merchant00001",
                    batch_size=100,
                )  # fmt: skip
                for mode, server in servers.items()
            }
            results = {mode: run.result() for mode, run in runs.items()}
    finally:
        for server in servers.values():
            server.stop()

    for mode, result in results.items():
        assert result["requests"] > 0, mode
        assert result["ok"] == result["requests"], (mode, result["errors"])
        captured = servers[mode].captured
        assert all(auth in username_of for auth, _ in captured), mode
        inputs = [body.get("variables", {}).get("input") for _, body in captured]
        if mode == "reads":
            assert all(value is None for value in inputs)
            continue
        keys = [value["idempotencyKey"] for value in inputs]
        assert len(set(keys)) == len(keys), f"{mode}: an idempotency key was sent twice"
        for (auth, _), value in zip(captured, inputs, strict=True):
            sender = username_of[auth]
            if mode == "spread":
                assert value["receiverUsername"] in dict(users) and value["receiverUsername"] != sender
            elif mode == "hot":
                assert value["receiverUsername"] == "merchant00001"
            elif mode == "batch":
                receivers = [item["receiverUsername"] for item in value["transfers"]]
                assert len(set(receivers)) == len(receivers) == 100 and sender not in receivers
            else:
                assert set(value) == {"amount", "idempotencyKey"}


def test_a_process_tree_counts_the_children_it_has_waited_for():
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
    parent = (
        "import subprocess, sys, time\n"
        f"subprocess.run([sys.executable, '-c', {burn!r}])\n"
        "print('child done', flush=True)\n"
        "time.sleep(30)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True)
    try:
        before = cpu.tree_cpu_seconds(process.pid)
        assert process.stdout.readline().strip() == "child done"
        after = cpu.tree_cpu_seconds(process.pid)
    finally:
        process.kill()
        process.wait()
    assert after - before >= 0.25  # the child has exited: its CPU is in the parent's cutime


@pytest.mark.django_db
def test_the_pipeline_is_drained_only_when_every_event_is_published_delivered_and_acknowledged(
    make_user, fund, redis_url
):
    import redis
    from django.utils import timezone

    from bench import pipeline
    from wallet.models import OutboxEvent, Receipt, Transaction

    client = redis.Redis.from_url(redis_url, decode_responses=True)

    def drained() -> bool:
        return pipeline._is_empty(pipeline.backlog(client))

    assert not drained()  # no consumer group yet
    for group in pipeline.CONSUMERS:
        client.xgroup_create("wallet-events:0", group, id="0", mkstream=True)
    assert drained()

    entry = client.xadd("wallet-events:0", {"event": "{}"})
    assert pipeline.backlog(client)["undelivered_entries"] > 0 and not drained()
    for group in pipeline.CONSUMERS:
        client.xreadgroup(group, f"{group}-consumer", {"wallet-events:0": ">"})
    assert pipeline.backlog(client)["unacknowledged_entries"] == 2 and not drained()
    client.xack("wallet-events:0", "receipts", entry)
    assert not drained()
    client.xack("wallet-events:0", "realtime", entry)
    assert drained()

    payer = make_user("payer")
    fund(payer, "10.00")  # its outbox event is not published
    assert pipeline.backlog(client)["unpublished_events"] >= 1 and not drained()
    OutboxEvent.objects.update(published_at=timezone.now())
    assert drained()

    top_up = Transaction.objects.get(receiver_wallet__user=payer)
    receipt = Receipt.objects.create(transaction=top_up, wallet=top_up.receiver_wallet, verification_code="C0DE")
    # Rendered on demand: a PENDING receipt is work only once asked for.
    assert drained() and pipeline.backlog(client)["unrequested_receipts"] == 1
    Receipt.objects.filter(pk=receipt.pk).update(requested_at=timezone.now())
    assert pipeline.backlog(client)["pending_receipts"] == 1 and not drained()
    Receipt.objects.filter(pk=receipt.pk).update(status=Receipt.Status.READY)
    assert drained()


@pytest.mark.usefixtures("needs_wrk")
def test_each_run_has_its_own_idempotency_key_prefix(tmp_path):
    users = tmp_path / "users.tsv"
    with pytest.raises(ValueError):
        wrk.command("http://127.0.0.1:1/graphql/", mode="nope", connections=1, duration_s=1, users_file=users)
    one, two = (
        wrk.command("http://x/graphql/", mode="hot", connections=8, duration_s=3, users_file=users, receiver="m")
        for _ in range(2)
    )
    assert {"mode=hot", "receiver=m", "--connections=8", "--duration=3s", f"--script={wrk.SCRIPT}"} <= set(one)
    prefixes = [next(arg for arg in argv if arg.startswith("prefix=")) for argv in (one, two)]
    assert prefixes[0] != prefixes[1]
