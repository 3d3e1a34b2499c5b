"""The service as production runs it, for tests that break things for real.

`Stack` is a throwaway PostgreSQL of its own (durable: fsync and synchronous_commit on) and the service under
gunicorn with a few sync workers, DEBUG off, as bench/ runs it. The test process reaches the database only through
short psycopg2 connections and the service only over HTTP. `LoadClient` threads send transfers as a careful client
does: one idempotency key per transfer, retried with that same key until the answer is definitive.
"""

import base64
import contextlib
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import psycopg2
import requests

from scripts import throwaway_postgres
from wallet.errors import RetryableError, ServiceUnavailable, WalletBusy

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"

TRANSFER = (
    "mutation Transfer($input: TransferInput!) {"
    " transfer(input: $input) { transaction { id status amount } replayed errors { code } } }"
)
RETRYABLE_CODES = {"RETRY_LATER", "SERVICE_UNAVAILABLE"}
# The only words a retryable error may carry: the database's own never reach the client.
RETRYABLE_MESSAGES = {cls.default_message for cls in (RetryableError, WalletBusy, ServiceUnavailable)}

DONE, RETRYABLE, CONNECTION, UNEXPECTED = "done", "retryable", "connection", "unexpected"


def available() -> str | None:
    """Why the stack cannot run here, or None."""
    if not throwaway_postgres.available():
        return "needs the PostgreSQL server binaries (initdb, pg_ctl) to start a throwaway server"
    if not GUNICORN.exists():
        return "needs gunicorn (scripts/bootstrap installs it with the test extra)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    def __init__(self, *, workers: int = 3, max_connections: int = 30) -> None:
        self.workers = workers
        self.pg_dir = Path(tempfile.mkdtemp(prefix="wallet-faults-pg-"))
        self.log_dir = Path(tempfile.mkdtemp(prefix="wallet-faults-"))
        self.server: subprocess.Popen | None = None
        self.database_url = throwaway_postgres.start(
            self.pg_dir, durable=True, settings=(f"max_connections={max_connections}",)
        )
        self.env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "DJANGO_SETTINGS_MODULE": "server.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            # Event consumers run as their own processes in production, not in the API's.
            "EVENTS_IN_PROCESS": "false",
            "REDIS_URL": "",
            "CELERY_BROKER_URL": "",
            # Every client of these tests is 127.0.0.1.
            "RATELIMIT_ENABLE": "false",
        }
        self.manage("migrate", "--noinput", "-v", "0")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/graphql/"
        self.start_server()

    # --- processes -------------------------------------------------------------------------------------------

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=check
        )

    def start_server(self) -> None:
        log = (self.log_dir / "gunicorn.log").open("a")
        self.server = subprocess.Popen(
            [
                str(GUNICORN),
                "server.wsgi:application",
                f"--bind=127.0.0.1:{self.port}",
                f"--workers={self.workers}",
                "--worker-class=sync",
                "--timeout=60",
                "--graceful-timeout=10",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.wait_until_serving(timeout=60)

    def wait_until_serving(self, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.server_log()}")
            try:
                if requests.post(self.url, json={"query": "{ __typename }"}, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the service did not answer within {timeout} s:\n{self.server_log()}")

    def worker_pids(self) -> list[int]:
        pid = self.server.pid
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]

    def kill_worker_mid_movement(self, *, timeout: float = 10) -> int:
        """SIGKILLs a worker in the middle of a movement: its ledger rows written, its commit not yet sent.

        The outbox row is a movement's last write before COMMIT. For a moment this holds the outbox table (SHARE
        lock: inserts wait), finds a worker whose backend waits to insert there (its client port in
        pg_stat_activity, the socket with that port in /proc/net/tcp, the worker holding that socket), kills it,
        and lets the others go on. The dead worker's transaction can never commit."""
        database_port = int((self.pg_dir / "port").read_text())
        holder, watcher = self.connect(), self.connect()
        holder.autocommit = False
        try:
            with holder.cursor() as cursor:
                cursor.execute("LOCK TABLE wallet_outboxevent IN SHARE MODE")
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                with watcher.cursor() as cursor:
                    cursor.execute(
                        "SELECT client_port FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                        " AND query LIKE 'INSERT INTO \"wallet_outboxevent\"%'"
                    )
                    ports = {port for (port,) in cursor.fetchall()}
                pid = self._worker_holding(_tcp_socket_inodes(local_ports=ports, remote_port=database_port))
                if pid is not None:
                    os.kill(pid, signal.SIGKILL)  # a worker of the gunicorn this test started, by its pid
                    return pid
                time.sleep(0.005)
        finally:
            holder.rollback()
            holder.close()
            watcher.close()
        raise AssertionError("no worker reached the outbox insert")

    def _worker_holding(self, inodes: set[str]) -> int | None:
        for pid in self.worker_pids():
            try:
                sockets = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
            except FileNotFoundError:
                continue  # it just exited
            if any(f"socket:[{inode}]" in sockets for inode in inodes):
                return pid
        return None

    def wait_for_workers(self, *, timeout: float = 60) -> list[int]:
        """The workers, once gunicorn has its full count again (it replaces the ones that die)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) == self.workers:
                return pids
            time.sleep(0.2)
        raise AssertionError(f"gunicorn has {self.worker_pids()} instead of {self.workers} workers")

    def stop_server(self) -> None:
        if self.server is None or self.server.poll() is not None:
            return
        workers = self.worker_pids()
        self.server.send_signal(signal.SIGTERM)
        try:
            self.server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            for pid in [self.server.pid, *workers]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.server.wait(timeout=10)

    def server_log(self, lines: int = 60) -> str:
        path = self.log_dir / "gunicorn.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def pause_database(self) -> None:
        throwaway_postgres.pause(self.pg_dir)

    def resume_database(self) -> None:
        throwaway_postgres.resume(self.pg_dir)

    def close(self) -> None:
        try:
            self.stop_server()
        finally:
            throwaway_postgres.stop(self.pg_dir)
            for path in self.log_dir.iterdir():
                path.unlink()
            self.log_dir.rmdir()

    # --- the database, seen from outside ---------------------------------------------------------------------

    def connect(self):
        connection = psycopg2.connect(self.database_url, connect_timeout=5)
        connection.autocommit = True
        return connection

    def query(self, sql: str, params=None) -> list[tuple]:
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()

    def seed(self, prefix: str, count: int, amount: str) -> list[tuple[str, str]]:
        """`count` users funded with `amount` each: [(username, access token), …]."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.faults.seed", prefix, str(count), amount],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return [tuple(user) for user in json.loads(done.stdout)]

    def balances(self, usernames: list[str]) -> dict[str, Decimal]:
        rows = self.query(
            "SELECT u.username, w.balance FROM wallet_wallet w JOIN wallet_user u ON u.id = w.user_id"
            " WHERE u.username = ANY(%s)",
            [usernames],
        )
        return {name: Decimal(minor) / 100 for name, minor in rows}

    def stored_transfers(self, usernames: list[str]) -> dict[tuple[str, str], tuple[int, str, Decimal]]:
        """(initiator, idempotency key) -> (id, status, amount) of every transfer these users initiated."""
        rows = self.query(
            "SELECT u.username, t.idempotency_key, t.id, t.status, t.amount FROM wallet_transaction t"
            " JOIN wallet_user u ON u.id = t.initiator_id WHERE t.kind = 'TRANSFER' AND u.username = ANY(%s)",
            [usernames],
        )
        return {(name, key): (pk, status, Decimal(minor) / 100) for name, key, pk, status, minor in rows}

    def verify_ledger(self) -> subprocess.CompletedProcess:
        return self.manage("verify_ledger", check=False)


def _tcp_socket_inodes(*, local_ports: set[int], remote_port: int) -> set[str]:
    """Inodes of the established TCP connections from these local ports to this remote port (/proc/net/tcp)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, remote = int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16)
        if local_port in local_ports and remote == remote_port and fields[3] == "01":  # 01: ESTABLISHED
            inodes.add(fields[9])
    return inodes


# --- clients -------------------------------------------------------------------------------------------------


@dataclass
class Reply:
    kind: str  # DONE, RETRYABLE, CONNECTION or UNEXPECTED
    started: float
    ended: float
    status: int | None = None
    code: str | None = None
    message: str | None = None
    retry_after: str | None = None
    transaction: dict | None = None
    replayed: bool | None = None
    detail: str = ""

    @property
    def transaction_pk(self) -> int:
        return int(base64.b64decode(self.transaction["id"]).decode().split(":")[1])


def send_transfer(url: str, token: str, receiver: str, amount: Decimal, key: str) -> Reply:
    variables = {"input": {"receiverUsername": receiver, "amount": str(amount), "idempotencyKey": key}}
    started = time.monotonic()
    try:
        response = requests.post(
            url,
            json={"query": TRANSFER, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
            timeout=(5, 60),
        )
    except requests.RequestException as error:
        # The server went away mid-request (a killed worker, a refused connection): the outcome is unknown.
        return Reply(CONNECTION, started, time.monotonic(), detail=repr(error))
    ended = time.monotonic()
    try:
        body = response.json()
    except ValueError:
        return Reply(UNEXPECTED, started, ended, status=response.status_code, detail=response.text[:300])
    errors = body.get("errors") or []
    if errors:
        extensions = [error.get("extensions") or {} for error in errors]
        retryable = all(ext.get("retryable") is True and ext.get("code") in RETRYABLE_CODES for ext in extensions)
        return Reply(
            RETRYABLE if retryable and body.get("data") is None else UNEXPECTED,
            started,
            ended,
            status=response.status_code,
            code=extensions[0].get("code"),
            message=errors[0].get("message"),
            retry_after=response.headers.get("Retry-After"),
            detail=json.dumps(body)[:300],
        )
    payload = (body.get("data") or {}).get("transfer") or {}
    if payload.get("transaction") is None:
        return Reply(UNEXPECTED, started, ended, status=response.status_code, detail=json.dumps(body)[:300])
    return Reply(
        DONE,
        started,
        ended,
        status=response.status_code,
        transaction=payload["transaction"],
        replayed=payload["replayed"],
    )


@dataclass
class Transfer:
    """One transfer a client means to make, with every answer it got for its idempotency key."""

    sender: str
    token: str
    receiver: str
    amount: Decimal
    key: str
    replies: list[Reply] = field(default_factory=list)

    @property
    def outcome(self) -> Reply | None:
        return next((reply for reply in self.replies if reply.kind == DONE), None)

    def send(self, url: str) -> Reply:
        reply = send_transfer(url, self.token, self.receiver, self.amount, self.key)
        self.replies.append(reply)
        return reply


class LoadClient(threading.Thread):
    """Sends transfers between random users, one at a time; retries each with its key until it is definitive."""

    def __init__(self, url: str, users: list[tuple[str, str]], *, seed: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.users, self.stop = url, users, stop
        self.rng = random.Random(seed)
        self.transfers: list[Transfer] = []
        self.crash: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                (sender, token), (receiver, _) = self.rng.sample(self.users, 2)
                amount = Decimal(self.rng.randint(1, 500)) / 100
                transfer = Transfer(sender, token, receiver, amount, f"{sender}-{uuid.uuid4()}")
                self.transfers.append(transfer)
                while not self.stop.is_set() and transfer.send(self.url).kind != DONE:
                    self.stop.wait(self.rng.uniform(0.05, 0.2))  # back off, then retry with the same key
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.crash = error


def run_clients(url: str, users, *, count: int, seed: int):
    stop = threading.Event()
    clients = [LoadClient(url, users, seed=seed * 100 + index, stop=stop) for index in range(count)]
    for client in clients:
        client.start()
    return stop, clients


def stop_clients(stop: threading.Event, clients: list[LoadClient]) -> list[Transfer]:
    stop.set()
    for client in clients:
        client.join(timeout=90)
        assert not client.is_alive(), "a client hung"
        assert client.crash is None, f"a client crashed: {client.crash!r}"
    return [transfer for client in clients for transfer in client.transfers]


def learn_outcomes(url: str, transfers: list[Transfer], *, timeout: float = 60) -> None:
    """Every transfer without a definitive answer replays its key until it learns its outcome."""
    deadline = time.monotonic() + timeout

    def learn(transfer: Transfer) -> None:
        while transfer.outcome is None and time.monotonic() < deadline:
            if transfer.send(url).kind != DONE:
                time.sleep(0.2)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(learn, [transfer for transfer in transfers if transfer.outcome is None]))
    unknown = [transfer.key for transfer in transfers if transfer.outcome is None]
    assert not unknown, f"{len(unknown)} transfers never learned their outcome, e.g. {unknown[:3]}"


def check_replays(url: str, transfers: list[Transfer], *, sample: int, seed: int) -> None:
    """Replaying a key returns the original outcome (replayed: true) and moves nothing: every transfer whose first
    attempt was not definitive, plus a sample of the others."""
    uncertain = [transfer for transfer in transfers if transfer.replies[0].kind != DONE]
    others = [transfer for transfer in transfers if transfer.replies[0].kind == DONE]
    chosen = uncertain + random.Random(seed).sample(others, min(sample, len(others)))

    def replay(transfer: Transfer) -> None:
        reply = transfer.send(url)
        deadline = time.monotonic() + 30
        while reply.kind != DONE and time.monotonic() < deadline:
            time.sleep(0.2)
            reply = transfer.send(url)
        original = transfer.outcome
        assert reply.kind == DONE and reply.replayed is True, (transfer.key, reply)
        assert reply.transaction == original.transaction, (transfer.key, reply.transaction, original.transaction)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(replay, chosen))


def check_books(
    stack: Stack, users: list[tuple[str, str]], transfers: list[Transfer], *, opening: Decimal
) -> dict[str, Decimal]:
    """What the clients learned is exactly what the database holds; balances follow from the outcomes; verify_ledger
    passes. Returns the balances."""
    names = [name for name, _ in users]
    stored = stack.stored_transfers(names)
    learned = {
        (t.sender, t.key): (t.outcome.transaction_pk, t.outcome.transaction["status"], t.amount) for t in transfers
    }
    missing = {key: value for key, value in learned.items() if stored.get(key) != value}
    extra = set(stored) - set(learned)
    assert not missing, f"outcomes the database does not hold: {list(missing.items())[:5]}"
    assert not extra, f"transfers nobody learned of: {list(extra)[:5]}"

    expected = dict.fromkeys(names, opening)
    for transfer in transfers:
        if transfer.outcome.transaction["status"] == "SUCCESS":
            expected[transfer.sender] -= transfer.amount
            expected[transfer.receiver] += transfer.amount
    balances = stack.balances(names)
    assert balances == expected
    assert sum(balances.values()) == opening * len(names)  # conserved

    audit = stack.verify_ledger()
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "ledger OK" in audit.stdout
    return balances


def replies(transfers: list[Transfer]) -> list[Reply]:
    return [reply for transfer in transfers for reply in transfer.replies]


def assert_only_retryable_failures(transfers: list[Transfer]) -> None:
    """No client ever saw anything but an outcome, a retryable error or a broken connection: never a masked
    INTERNAL_SERVER_ERROR, an HTML error page, or the database's own words."""
    unexpected = [reply for reply in replies(transfers) if reply.kind == UNEXPECTED]
    assert not unexpected, f"{len(unexpected)} unexpected answers, e.g. {unexpected[:3]}"
    for reply in replies(transfers):
        if reply.kind == RETRYABLE:
            assert reply.status == 503 and reply.retry_after == "1", reply
            assert reply.message in RETRYABLE_MESSAGES, reply


def summary(transfers: list[Transfer]) -> str:
    """How the answers went, for the test's output: kinds and codes counted."""
    counts: dict[str, int] = {}
    for reply in replies(transfers):
        label = reply.kind + (f" {reply.code}" if reply.code else "")
        counts[label] = counts.get(label, 0) + 1
    return f"{len(transfers)} transfers; answers: " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
