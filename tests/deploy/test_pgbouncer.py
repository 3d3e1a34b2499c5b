"""The money path behind a real PgBouncer in transaction mode (docs/PGBOUNCER.md).

A throwaway PgBouncer (Debian's pgbouncer package) sits in front of the test database with pool_mode = transaction
and a pool of POOL_SIZE server connections, so that its clients really share them. The service's code runs in
processes of its own (tests/deploy/pgbouncer_client.py) whose DATABASE_URL points at PgBouncer, with
DATABASE_BEHIND_PGBOUNCER=true, as a deployment behind PgBouncer runs it. This proves that:

- concurrent transfers from many clients, multiplexed onto a few server connections, spend exactly what the sender
  has: each money transaction begins, locks its wallets (SELECT … FOR UPDATE) and ends on one server connection;
- a row lock taken through PgBouncer is held, on its one server connection, until its transaction ends: another
  process's transfer waits for it (or gets RETRY_LATER after its lock_timeout) and succeeds once it is released;
- the money path's transaction-local lock_timeout/statement_timeout (set_config(…, true)) never reach the next client
  of the same server connection, where a session-level SET would.
"""

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connection, connections

from scripts import harness
from tests.conftest import unavailable
from wallet.ledger_audit import audit_ledger
from wallet.models import Transaction, Wallet

pytestmark = pytest.mark.django_db(transaction=True)

POOL_SIZE = 3  # server connections per database and user: fewer than the clients below
SINGLE = "wallet_single"  # the same database through a pool of one server connection: every client shares it


class PgBouncer:
    """The throwaway PgBouncer in front of the test database, and its admin console."""

    def __init__(self, server: dict) -> None:
        self.user = server["USER"]

        def entry(**extra) -> str:
            parts = {"host": server["HOST"], "port": server["PORT"], "dbname": server["NAME"], "user": self.user}
            return " ".join(f"{key}={value}" for key, value in {**parts, **extra}.items())

        databases = {server["NAME"]: entry(), SINGLE: entry(pool_size=1)}
        self.process = harness.pgbouncer(
            databases, user=self.user, pool_mode="transaction", default_pool_size=POOL_SIZE
        )

    def url(self, database: str) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.process.port}/{database}"

    def connect(self, database: str, **options):
        return psycopg2.connect(host="127.0.0.1", port=self.process.port, dbname=database, user=self.user, **options)

    def admin(self, command: str) -> list[dict]:
        """A command of PgBouncer's admin console (e.g. "SHOW SERVERS"), its rows as dicts."""
        console = self.connect("pgbouncer")
        console.autocommit = True  # the console knows no transactions
        try:
            with console.cursor() as cursor:
                cursor.execute(command)
                names = [column.name for column in cursor.description or ()]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()] if names else []
        finally:
            console.close()

    def log(self) -> str:
        return self.process.tail(200)


@pytest.fixture(scope="module")
def pgbouncer(django_db_setup):
    if not shutil.which("pgbouncer") and not os.access("/usr/sbin/pgbouncer", os.X_OK):
        unavailable("needs pgbouncer (apt-get install pgbouncer) to test the service behind PgBouncer")
    bouncer = PgBouncer(connections["default"].settings_dict)
    yield bouncer
    bouncer.process.stop()


class ServiceProcess:
    """tests/deploy/pgbouncer_client.py as a process of its own, its database behind PgBouncer: it runs the commands
    it is sent, one JSON object a line, and answers each with JSON lines."""

    def __init__(self, bouncer, log_dir: Path, database: str) -> None:
        self.bouncer = bouncer
        self.log = log_dir / f"client-{database}-{time.monotonic_ns()}.log"
        env = {key: value for key, value in os.environ.items() if key != "DATABASE_REPLICA_URL"}
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "server.settings",
                "DATABASE_URL": bouncer.url(database),
                "DATABASE_BEHIND_PGBOUNCER": "true",
                "EVENTS_IN_PROCESS": "false",
                "REDIS_URL": "",
                "CELERY_BROKER_URL": "",
                "LOG_LEVEL": "WARNING",
            }
        )
        with self.log.open("w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.deploy.pgbouncer_client"],
                cwd=settings.BASE_DIR,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.busy = True  # until it has answered the current command in full: first {"started": true}

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, do: str, **arguments) -> "ServiceProcess":
        self.process.stdin.write(json.dumps({"do": do, **arguments}) + "\n")
        self.process.stdin.flush()
        self.busy = True
        return self

    def read(self, timeout: float = 30) -> dict:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            line = None
        if line is None:
            self.close()
            pytest.fail(
                f"the service process answered nothing (exit {self.process.poll()}):\n{self.log.read_text()}\n"
                f"pgbouncer's log:\n{self.bouncer.log()}"
            )
        answer = json.loads(line)
        if answer.pop("done", False):
            self.busy = False
        return answer

    def idle(self) -> bool:
        return not self.busy and self.process.poll() is None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()  # it exits at the end of its input
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def _service_processes(pgbouncer, tmp_path_factory):
    """The service processes, shared by the tests: Django's start-up is most of their cost, so they start together,
    once. Two go through the pool of POOL_SIZE server connections, one through the pool of one."""
    log_dir = tmp_path_factory.mktemp("pgbouncer-clients")
    database = connections["default"].settings_dict["NAME"]
    targets = {"first": database, "second": database, "single": SINGLE}
    processes = {name: ServiceProcess(pgbouncer, log_dir, target) for name, target in targets.items()}
    for process in processes.values():
        assert process.read(timeout=60) == {"started": True}
    yield processes, targets, log_dir
    for process in processes.values():
        process.close()


@pytest.fixture
def service(_service_processes, pgbouncer, transactional_db):
    """The shared service processes by name; one a test left mid-command (it failed) is replaced after it. After
    `transactional_db`, so this ends before the test's tables are emptied: a process still holding a lock would
    block that."""
    processes, targets, log_dir = _service_processes
    yield processes
    for name, process in list(processes.items()):
        if not process.idle():
            process.close()
            processes[name] = ServiceProcess(pgbouncer, log_dir, targets[name])
            assert processes[name].read(timeout=60) == {"started": True}


def shown(milliseconds: int) -> str:
    """How PostgreSQL shows a time setting of this many milliseconds (SHOW, current_setting)."""
    if milliseconds == 0:
        return "0"
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000)):
        if milliseconds % size == 0:
            return f"{milliseconds // size}{unit}"
    return f"{milliseconds}ms"


def balance(user) -> Decimal:
    return Wallet.objects.get(pk=user.wallet.pk).balance


def backend_of_waiting_transfer(holder_pid: int, timeout: float = 15) -> int:
    """The backend (on the server itself, not through PgBouncer) that waits for the lock holder_pid holds."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND %s = ANY(pg_blocking_pids(pid))",
                [holder_pid],
            )
            row = cursor.fetchone()
            if row is not None:
                return row[0]
            assert time.monotonic() < deadline, "no transfer ever waited for the held lock"
            time.sleep(0.02)


def state_of(pid: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def test_concurrent_transfers_on_shared_server_connections_spend_exactly_what_the_sender_has(
    pgbouncer, service, make_user, fund
):
    alice = make_user("alice")
    receivers = [make_user(name) for name in ("bob", "carol", "dave")]
    fund(alice, "100.00")
    database = connection.settings_dict["NAME"]
    # Two processes of six threads, each thread a PgBouncer client of its own sending two transfers of 7.00: 24 in
    # all (168.00), of which the 100.00 pays for exactly 14.
    processes = [service["first"], service["second"]]
    for number, process in enumerate(processes):
        process.send(
            "transfers",
            sender="alice",
            receivers=["bob", "carol", "dave"],
            amount="7.00",
            threads=6,
            each=2,
            keys=f"p{number}",
        )
    for process in processes:
        assert process.read() == {"ready": 6}

    # All twelve clients are connected at once; PgBouncer serves them with at most POOL_SIZE server connections.
    clients = [row for row in pgbouncer.admin("SHOW CLIENTS") if row["database"] == database]
    assert len(clients) >= 12
    for process in processes:
        process.send("go")
    reports = [process.read(timeout=60) for process in processes]
    servers = {row["remote_pid"] for row in pgbouncer.admin("SHOW SERVERS") if row["database"] == database}

    assert [report["errors"] for report in reports] == [[], []]
    outcomes = {}
    for report in reports:
        for outcome, count in report["outcomes"].items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
    assert outcomes == {"SUCCESS": 14, "INSUFFICIENT_FUNDS": 10}
    transactions = [txn for report in reports for txn in report["transactions"]]
    assert len(transactions) == 24
    # Each money transaction began, took its row locks and went on on one server connection ...
    assert all(txn["began_on"] == txn["locked_on"] for txn in transactions)
    assert {txn["lock_timeout"] for txn in transactions} == {shown(settings.WALLET_LOCK_TIMEOUT_MS)}
    # ... and the twelve clients' transactions shared at most POOL_SIZE of them.
    used = {txn["locked_on"] for txn in transactions}
    assert len(used) <= POOL_SIZE and len(servers) <= POOL_SIZE
    assert used <= servers

    assert balance(alice) == Decimal("2.00")
    assert sum(balance(user) for user in receivers) == Decimal("98.00")
    assert Transaction.objects.filter(kind=Transaction.Kind.TRANSFER, status=Transaction.Status.SUCCESS).count() == 14
    assert not Wallet.objects.filter(kind=Wallet.Kind.CUSTOMER, balance__lt=0).exists()
    report = audit_ledger()
    assert report.ok, report.problems


def test_a_row_lock_taken_through_pgbouncer_is_held_until_its_transaction_ends(pgbouncer, service, make_user, fund):
    alice, bob = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    holder, payer = service["first"], service["second"]
    transfer = {"sender": "alice", "receiver": "bob", "amount": "10.00", "key": "pay-bob"}

    holder_pid = holder.send("hold", wallet_id=bob.wallet.pk).read()["locked"]
    # Between its statements the holder's transaction keeps its server connection to itself: PgBouncer links it
    # to no other client until the transaction ends, so the lock stays held.
    assert state_of(holder_pid) == "idle in transaction"

    refused = payer.send("transfer", **transfer, lock_timeout_ms=300).read()
    assert refused["outcome"] == "RETRY_LATER"
    assert 0.3 <= refused["seconds"] < 5
    assert balance(alice) == Decimal("100.00") and balance(bob) == Decimal("0.00")
    assert not Transaction.objects.filter(idempotency_key="pay-bob").exists()

    payer.send("transfer", **transfer, lock_timeout_ms=10_000)  # the same key, waiting longer
    waiter_pid = backend_of_waiting_transfer(holder_pid)
    assert waiter_pid != holder_pid
    time.sleep(0.5)
    assert state_of(holder_pid) == "idle in transaction"
    assert holder.send("release").read() == {"released": holder_pid}  # on the same server connection to the end

    paid = payer.read()
    assert paid["outcome"] == "SUCCESS"
    assert paid["seconds"] >= 0.5  # it waited for the release
    [txn] = paid["transactions"]
    assert txn["began_on"] == txn["locked_on"] == waiter_pid
    assert balance(alice) == Decimal("90.00") and balance(bob) == Decimal("10.00")
    report = audit_ledger()
    assert report.ok, report.problems


def test_the_money_paths_timeouts_do_not_reach_the_next_client_of_its_server_connection(
    pgbouncer, service, make_user, fund
):
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    with connection.cursor() as cursor:  # the server's own defaults, straight from PostgreSQL
        cursor.execute("SELECT current_setting('lock_timeout'), current_setting('statement_timeout')")
        defaults = cursor.fetchone()
    assert "1234ms" not in defaults

    # Through the pool of one server connection: the money transaction, then every client below, run on it.
    paid = (
        service["single"]
        .send(
            "transfer", sender="alice", receiver="bob", amount="5.00", key="pay-bob", lock_timeout_ms=1234, audit=True
        )
        .read()
    )
    assert paid["outcome"] == "SUCCESS"
    [txn] = paid["transactions"]
    assert txn["lock_timeout"] == "1234ms"  # set for the money transaction ...
    assert txn["statement_timeout"] == shown(settings.WALLET_STATEMENT_TIMEOUT_MS)
    # (whose process also ran the ledger audit through PgBouncer, with server-side cursors disabled)
    assert paid["audit"] == {"ok": True, "problems": []}

    def fresh_client_sees() -> tuple:
        fresh = pgbouncer.connect(SINGLE)
        try:
            with fresh.cursor() as cursor:  # psycopg2 opens a transaction with the first statement
                cursor.execute("SHOW lock_timeout")
                [lock_timeout] = cursor.fetchone()
                cursor.execute("SHOW statement_timeout")
                [statement_timeout] = cursor.fetchone()
                cursor.execute("SELECT pg_backend_pid()")
                [pid] = cursor.fetchone()
            fresh.rollback()
            return pid, (lock_timeout, statement_timeout)
        finally:
            fresh.close()

    # ... and only for it: the next client of the very same server connection sees the server's defaults.
    assert fresh_client_sees() == (txn["locked_on"], defaults)

    # Where a session-level SET would have leaked to it: why the service never uses one behind PgBouncer.
    setter = pgbouncer.connect(SINGLE)
    setter.autocommit = True
    try:
        with setter.cursor() as cursor:
            cursor.execute("SET lock_timeout = '4321ms'")
        assert fresh_client_sees() == (txn["locked_on"], ("4321ms", defaults[1]))
    finally:
        with setter.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
        setter.close()
    assert fresh_client_sees() == (txn["locked_on"], defaults)
