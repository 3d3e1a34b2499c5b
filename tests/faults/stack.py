"""The service as production runs it, for tests that break things for real.

`Stack` is a throwaway PostgreSQL of its own (durable: fsync and synchronous_commit on) and the service under
gunicorn with a few sync workers, DEBUG off, as bench/ runs it, both from scripts/harness.py. The test process reaches
the database only through short psycopg2 connections and the service only over HTTP.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import psycopg2
import requests

from scripts import harness

ROOT = Path(__file__).resolve().parents[2]


class Stack:
    def __init__(self, *, workers: int = 3, max_connections: int = 30) -> None:
        self.workers = workers
        self.database = harness.postgres(durable=True, settings=(f"max_connections={max_connections}",))
        self.database_url = self.database.url()
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
        self.port = harness.free_port()
        self.url = f"http://127.0.0.1:{self.port}/graphql/"
        self.server: harness.Process | None = None
        self.start_server()

    # --- processes -------------------------------------------------------------------------------------------

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, check=check
        )

    def start_server(self) -> None:
        options = ("--timeout=60", "--graceful-timeout=10")
        self.server = harness.gunicorn(self.env, workers=self.workers, port=self.port, options=options)

    def wait_until_serving(self, *, timeout: float) -> None:
        def answers() -> bool:
            return requests.post(self.url, json={"query": "{ __typename }"}, timeout=5).status_code == 200

        try:
            harness.wait_until(answers, "the service", timeout=timeout, alive=self.server.alive)
        except RuntimeError as error:
            raise RuntimeError(f"{error}:\n{self.server_log()}") from None

    def worker_pids(self) -> list[int]:
        return self.server.children()

    def kill_worker_mid_movement(self, *, timeout: float = 10) -> int:
        """SIGKILLs a worker in the middle of a movement: its ledger rows being written, nothing committed.

        The outbox rows are among a movement's last writes. For a moment this holds the outbox table (SHARE lock:
        inserts wait), finds a worker whose backend waits for that lock to insert there (its client port in
        pg_stat_activity, the socket with that port in /proc/net/tcp, the worker holding that socket), kills it,
        and waits until the server has abandoned that backend's transaction (it checks that its client is still
        there while it waits) before letting the others go on. The dead worker's transaction never commits."""
        database_port = self.database.port
        holder, watcher = self.connect(), self.connect()
        holder.autocommit = False
        try:
            with holder.cursor() as cursor:
                cursor.execute("LOCK TABLE wallet_outboxevent IN SHARE MODE")
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                with watcher.cursor() as cursor:
                    cursor.execute(
                        "SELECT a.client_port, a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid"
                        " WHERE NOT l.granted AND l.relation = 'wallet_outboxevent'::regclass"
                    )
                    waiting = cursor.fetchall()
                for port, backend in waiting:
                    pid = self._worker_holding(_tcp_socket_inodes(local_ports={port}, remote_port=database_port))
                    if pid is not None:
                        os.kill(pid, signal.SIGKILL)  # a worker of the gunicorn this test started, by its pid
                        self._wait_until_gone(watcher, backend, deadline=time.monotonic() + timeout)
                        return pid
                time.sleep(0.005)
        finally:
            holder.rollback()
            holder.close()
            watcher.close()
        raise AssertionError("no worker reached the outbox insert")

    @staticmethod
    def _wait_until_gone(watcher, backend: int, *, deadline: float) -> None:
        while time.monotonic() < deadline:
            with watcher.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [backend])
                if cursor.fetchone()[0] == 0:
                    return
            time.sleep(0.01)
        raise AssertionError(f"backend {backend} of the killed worker still runs: its movement could commit")

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

    def server_log(self, lines: int = 60) -> str:
        return self.server.tail(lines)

    def pause_database(self) -> None:
        self.database.pause()

    def resume_database(self) -> None:
        self.database.resume()

    def close(self) -> None:
        try:
            self.server.stop(grace=30)
        finally:
            self.database.stop()

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
