"""A throwaway PgBouncer (Debian's pgbouncer package) in front of the test database, on a free loopback port.

Like scripts/throwaway_postgres.py it refuses to run as root, so as root it runs as the `postgres` account. It
listens on 127.0.0.1 only and trusts every client: it is for this machine's tests, nothing else.
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg2

from scripts.throwaway_postgres import SERVER_ACCOUNT

BINARY = "/usr/sbin/pgbouncer"
ADMIN_DATABASE = "pgbouncer"  # PgBouncer's own console: SHOW POOLS, SHOW SERVERS, …


def binary() -> str | None:
    return shutil.which("pgbouncer") or (BINARY if os.access(BINARY, os.X_OK) else None)


def available() -> bool:
    return binary() is not None


@dataclass
class PgBouncer:
    process: subprocess.Popen
    directory: Path
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str, **options):
        return psycopg2.connect(host="127.0.0.1", port=self.port, dbname=database, user=self.user, **options)

    def admin(self, command: str) -> list[dict]:
        """A command of the admin console (e.g. "SHOW SERVERS"), its rows as dicts."""
        console = self.connect(ADMIN_DATABASE)
        console.autocommit = True  # the console knows no transactions
        try:
            with console.cursor() as cursor:
                cursor.execute(command)
                if cursor.description is None:
                    return []
                names = [column.name for column in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            console.close()

    def log(self) -> str:
        path = self.directory / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            # SIGTERM to pgbouncer itself (immediate shutdown), runuser then exits with it; runuser, sent the
            # signal, would give it two seconds before killing it.
            try:
                os.kill(int((self.directory / "pgbouncer.pid").read_text()), signal.SIGTERM)
            except (OSError, ValueError):
                self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _connstring(server: dict, **extra) -> str:
    parts = {
        "host": server["HOST"] or "127.0.0.1",
        "port": server["PORT"] or 5432,
        "dbname": server["NAME"],
        "user": server["USER"],
        **({"password": server["PASSWORD"]} if server.get("PASSWORD") else {}),
        **extra,
    }
    return " ".join(f"{key}={value}" for key, value in parts.items())


def start(
    directory: Path,
    server: dict,
    *,
    databases: dict[str, dict] | None = None,
    pool_mode: str = "transaction",
    default_pool_size: int = 3,
) -> PgBouncer:
    """Starts PgBouncer in `directory` (made for it, e.g. a fresh tempfile.mkdtemp()) in front of the database that
    `server` (a Django settings_dict) names, under that database's own name.

    `databases` adds more names for the same database, each with its own pool settings, e.g.
    {"single": {"pool_size": 1}}."""
    program = binary()
    if program is None:
        raise RuntimeError("pgbouncer was not found (apt-get install pgbouncer)")
    port = _free_port()
    user = server["USER"]
    entries = {server["NAME"]: _connstring(server)}
    for name, settings in (databases or {}).items():
        entries[name] = _connstring(server, **settings)
    (directory / "userlist.txt").write_text(f'"{user}" ""\n')
    (directory / "pgbouncer.ini").write_text(
        "[databases]\n"
        + "".join(f"{name} = {entry}\n" for name, entry in entries.items())
        + "\n[pgbouncer]\n"
        + "\n".join(
            [
                "listen_addr = 127.0.0.1",
                f"listen_port = {port}",
                "unix_socket_dir =",
                "auth_type = trust",
                f"auth_file = {directory / 'userlist.txt'}",
                f"admin_users = {user}",
                f"pool_mode = {pool_mode}",
                f"default_pool_size = {default_pool_size}",
                "min_pool_size = 0",
                "reserve_pool_size = 0",
                "max_client_conn = 200",
                # A client that waits this long for a server connection fails instead of hanging the test.
                "query_wait_timeout = 30",
                f"logfile = {directory / 'pgbouncer.log'}",
                f"pidfile = {directory / 'pgbouncer.pid'}",
                "log_connections = 0",
                "log_disconnections = 0",
            ]
        )
        + "\n"
    )
    command = [program, str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_ACCOUNT)
        for path in [directory, *directory.iterdir()]:
            os.chown(path, account.pw_uid, account.pw_gid)
        command = ["runuser", "-u", SERVER_ACCOUNT, "--", *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    bouncer = PgBouncer(process=process, directory=directory, port=port, user=user)
    deadline = time.monotonic() + 15
    while True:
        if process.poll() is not None:
            log = bouncer.log()
            bouncer.stop()
            raise RuntimeError(f"pgbouncer exited with {process.returncode}:\n{log}")
        try:
            bouncer.admin("SHOW VERSION")
            return bouncer
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                log = bouncer.log()
                bouncer.stop()
                raise RuntimeError(f"pgbouncer did not answer within 15 s:\n{log}") from None
            time.sleep(0.05)
