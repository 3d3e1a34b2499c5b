#!/usr/bin/env python
"""docker-compose.yml's process layout, run on this machine without containers, then smoke-tested over HTTP.

    .venv/bin/python scripts/smoke_stack.py [--timeout 200] [--keep-logs] [--allowed-hosts H] [--compose FILE]

The services come from docker-compose.yml itself (PyYAML): each app service runs its own `command` with its own
`environment`, and the ${VAR...} interpolations get local values: a generated DJANGO_SECRET_KEY and
POSTGRES_PASSWORD, localhost,127.0.0.1 for DJANGO_ALLOWED_HOSTS, a generated random value for any other required
${VAR:?…} (LEDGER_HASH_KEY), and compose's defaults for everything else. The image's
ENV (Dockerfile: DJANGO_SETTINGS_MODULE, PYTHONUNBUFFERED, PROMETHEUS_MULTIPROC_DIR, one writable directory per
service here) comes first, as in a container; nothing is inherited from the calling shell. `db` is a throwaway
PostgreSQL (scripts/throwaway_postgres.py) holding the user and database the db service would create, `redis` a
redis-server with the redis service's command, both on free loopback ports; `@db:5432` and `redis://redis:6379`
in the environment point at them. Only ports and binds change: each exposed port becomes a free loopback port in
the command, the environment and the healthcheck, and 0.0.0.0 becomes 127.0.0.1.

The order is compose's: db and redis, the one-shot migrate to completion, then the long-running services (web,
realtime, worker, relay, receipts, notifier, scheduler; frontend, nginx, is not run). Once web answers /readyz and
realtime /healthz, it runs the compose healthchecks and a smoke test through the API, sending the headers a proxy
in front sets when it ends TLS (X-Forwarded-Proto: https, X-Forwarded-For): two users register, one adds money
and pays the other, who watches walletEvents over WebSocket on realtime; the transfer's event must be on the Redis
streams and consumed by both consumer groups, and its PDF receipt must become READY and download.

Then every service gets SIGTERM (SIGKILL after docker compose stop's 10 s), Redis and PostgreSQL stop, and the temp
directories go. This process is a child subreaper: whatever its services leave behind is reparented to it, found
and killed. If it is killed itself, a watchdog process cleans up. Prints one summary line per check
(PASS/FAIL <check>: <detail>) and exits 1 if any failed, after the failing services' last log lines.
"""

import argparse
import base64
import contextlib
import ctypes
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

VENV_BIN = ROOT / ".venv" / "bin" if (ROOT / ".venv" / "bin" / "python").exists() else Path(sys.executable).parent
LOOPBACK = "127.0.0.1"
STOP_GRACE_SECONDS = 10  # docker compose stop's default before SIGKILL
LOG_TAIL_LINES = 40
# What the image's Dockerfile ENV sets for every app container (PROMETHEUS_MULTIPROC_DIR: one directory per service).
IMAGE_ENV = {
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "PIP_NO_CACHE_DIR": "1",
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "DJANGO_SETTINGS_MODULE": "server.settings.production",
    "LANG": "C.UTF-8",
}
# What a proxy in front adds when it ends TLS (production settings trust X-Forwarded-Proto; the rate limits read
# the client address from X-Forwarded-For: TRUSTED_PROXY_COUNT in docker-compose.yml).
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.1"}

REGISTER = (
    "mutation($input: RegisterInput!) { register(input: $input) {"
    " user { username } token errors { code field message } } }"
)
ADD_MONEY = (
    "mutation($input: AddMoneyInput!) { addMoney(input: $input) {"
    " transaction { id status amount } wallet { balance } errors { code message } } }"
)
TRANSFER = (
    "mutation($input: TransferInput!) { transfer(input: $input) {"
    " transaction { id status amount } wallet { balance } errors { code message } } }"
)
RECEIPT = "query($id: ID!) { transaction(id: $id) { receipt { status url } } }"
SUBSCRIPTION = "subscription { walletEvents { type kind status amount balance transactionId } }"
PASSWORD = "Sm0ke-stack-Passw0rd!"


class CheckFailed(Exception):
    """A check's expectation did not hold (the message says what was seen)."""


class Interrupted(BaseException):
    """SIGTERM, SIGINT or SIGHUP: stop, clean up and exit."""


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self, cap: float | None = None) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"the run's time limit ({self.seconds:.0f} s) is up")
        return remaining if cap is None else min(cap, remaining)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def wait_for(what: str, probe, deadline: Deadline, *, timeout: float, interval: float = 0.3, alive=None):
    """Calls probe() until it returns something truthy; `alive()` may raise to stop early (a process died)."""
    end = time.monotonic() + deadline.left(timeout)
    last = None
    while True:
        if alive is not None:
            alive()
        try:
            result = probe()
            if result:
                return result
        except Exception as error:  # noqa: BLE001 - the last failure is reported if time runs out
            last = error
        if time.monotonic() >= end:
            raise CheckFailed(f"{what}: not within {timeout:.0f} s" + (f" (last: {last!r})" if last else ""))
        time.sleep(interval)


# --- docker-compose.yml --------------------------------------------------------------------------------------------

_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


@dataclass
class Variables:
    """The values compose would read from .env, and what interpolation found missing or generated."""

    values: dict[str, str]
    unset: set[str] = field(default_factory=set)
    generated: set[str] = field(default_factory=set)


def interpolate(value: str, variables: Variables) -> str:
    """Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error},
    ${VAR:+alternative}, ${VAR+alternative}. A variable without a value or default becomes "" (compose warns).

    A required one (:? or ?) that has no local value gets a generated random one (a secret such as a key or a
    password is what the compose file requires), kept so that every use sees the same value."""

    def replace(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["named"]
        op, arg = match["op"], match["arg"] or ""
        current = variables.values.get(name)
        is_set, non_empty = current is not None, bool(current)
        if op in (":-", "-"):
            return arg if not (non_empty if op == ":-" else is_set) else current
        if op in (":?", "?"):
            if not (non_empty if op == ":?" else is_set):
                current = variables.values[name] = secrets.token_urlsafe(48)
                variables.generated.add(name)
            return current
        if op in (":+", "+"):
            return arg if (non_empty if op == ":+" else is_set) else ""
        if current is None:
            variables.unset.add(name)
            return ""
        return current

    return _VARIABLE.sub(replace, value)


def interpolate_tree(node, variables: Variables):
    if isinstance(node, dict):
        return {key: interpolate_tree(value, variables) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate_tree(item, variables) for item in node]
    if isinstance(node, str):
        return interpolate(node, variables)
    return node


def environment_of(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment if "=" in item)
    return {key: str(value) for key, value in environment.items() if value is not None}


@dataclass
class Service:
    name: str
    command: list[str]
    env: dict[str, str]
    ports: dict[int, int] = field(default_factory=dict)  # exposed container port -> local port
    healthcheck: list[str] | None = None
    health_timeout: float = 30.0
    health_window: float = 30.0  # start_period plus the retries: how long compose would wait for healthy


def _seconds(value, default: float) -> float:
    if value is None:
        return default
    text = str(value)
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    total, matched = 0.0, False
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text):
        total += float(number) * units[unit]
        matched = True
    return total if matched else float(text)


@dataclass
class Layout:
    variables: Variables
    db_env: dict[str, str]
    redis_command: list[str]
    one_shot: list[str]
    long_running: list[str]
    not_run: list[str]
    raw: dict


def read_compose(path: Path, variables: Variables) -> Layout:
    import yaml

    raw = yaml.safe_load(path.read_text())
    compose = interpolate_tree(raw, variables)
    services = compose["services"]
    for name in ("db", "redis"):
        if name not in services:
            raise CheckFailed(f"docker-compose.yml has no {name} service")

    def is_app(service: dict) -> bool:
        build = service.get("build") or {}
        return build.get("target") == "api" or str(service.get("image", "")).startswith("wallet-api")

    app = [name for name, service in services.items() if is_app(service)]
    # One-shot: what other services wait for with service_completed_successfully (migrate).
    one_shot = [
        name
        for name in app
        if any(
            isinstance(other.get("depends_on"), dict)
            and (other["depends_on"].get(name) or {}).get("condition") == "service_completed_successfully"
            for other in services.values()
        )
    ]
    if not one_shot:
        raise CheckFailed("no one-shot service (what others wait for with service_completed_successfully)")
    long_running = [name for name in app if name not in one_shot]
    not_run = [name for name in services if name not in app and name not in ("db", "redis")]
    return Layout(
        variables=variables,
        db_env=environment_of(services["db"]),
        redis_command=[str(part) for part in services["redis"].get("command") or ["redis-server"]],
        one_shot=one_shot,
        long_running=long_running,
        not_run=not_run,
        raw=compose,
    )


def local_service(
    layout: Layout, name: str, *, database_url: str, redis_url: str, run_dir: Path
) -> tuple[Service, list[str]]:
    """The service as a local process: compose's command and environment with only hosts, ports and binds changed.
    Returns it and the list of what was changed."""
    spec = layout.raw["services"][name]
    command = [str(part) for part in spec["command"]]
    service_env = environment_of(spec)
    changes: list[str] = []

    db_url = urlsplit(database_url)
    for key, value in list(service_env.items()):
        new = re.sub(r"@db:5432/", f"@{db_url.hostname}:{db_url.port}/", value)
        new = re.sub(r"redis://redis:6379(?=/|$)", redis_url.rsplit("/", 1)[0], new)
        if new != value:
            service_env[key] = new
            changes.append(key)

    ports = {int(str(port).split(":")[-1].split("/")[0]): free_port() for port in spec.get("expose") or []}
    for container_port, local_port in ports.items():
        command = [str(local_port) if part == str(container_port) else part for part in command]
        for key, value in service_env.items():
            if value == str(container_port):
                service_env[key] = str(local_port)
    command = [LOOPBACK if part == "0.0.0.0" else part for part in command]
    if command[0] == "gunicorn" and not any(part.startswith("--bind") or part == "-b" for part in command):
        # server/gunicorn.conf.py binds 0.0.0.0:$PORT; on a shared machine, loopback only (the command line wins).
        command += ["--bind", f"{LOOPBACK}:{service_env['PORT']}"]

    prometheus_dir = run_dir / "prometheus" / name
    prometheus_dir.mkdir(parents=True)
    env = {
        "PATH": f"{VENV_BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(run_dir / "home"),
        **IMAGE_ENV,
        "PROMETHEUS_MULTIPROC_DIR": str(prometheus_dir),
        **service_env,
    }

    healthcheck = None
    health = spec.get("healthcheck") or {}
    test = health.get("test")
    if test and not health.get("disable") and test[0] != "NONE":
        healthcheck = list(test[1:]) if test[0] == "CMD" else ["/bin/sh", "-c", " ".join(test[1:])]
        for container_port, local_port in ports.items():
            healthcheck = [re.sub(rf":{container_port}\b", f":{local_port}", part) for part in healthcheck]
    timeout = _seconds(health.get("timeout"), 30)
    window = _seconds(health.get("start_period"), 0) + _seconds(health.get("interval"), 30) * int(
        health.get("retries", 3)
    )
    return (
        Service(
            name=name,
            command=command,
            env=env,
            ports=ports,
            healthcheck=healthcheck,
            # Compose's own timeouts assume an idle machine; a loaded one may take longer to start a Python CLI.
            health_timeout=max(timeout, 30.0),
            health_window=max(window, 30.0),
        ),
        changes,
    )


def resolve(program: str, env: dict[str, str]) -> str:
    found = shutil.which(program, path=env["PATH"])
    if found is None:
        raise CheckFailed(f"{program} is not installed (scripts/bootstrap installs the venv)")
    return found


# --- processes -----------------------------------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat's fields after the command name (fields[0] is the state), or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def start_time(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[19]) if fields else None


def still_running(pid: int, ticks: int | None) -> bool:
    """The process that started at `ticks` (not a later one with its pid) is alive (not a zombie)."""
    fields = _stat(pid)
    return fields is not None and fields[0] != "Z" and int(fields[19]) == ticks


def _all_processes() -> dict[int, list[str]]:
    table = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields:
                table[int(entry.name)] = fields
    return table


def descendants(root: int, *, exclude: set[int] = frozenset()) -> list[int]:
    """Live (non-zombie) descendants of `root`; reaps the zombies among its own children that it does not track."""
    table = _all_processes()
    children: dict[int, list[int]] = {}
    for pid, fields in table.items():
        children.setdefault(int(fields[1]), []).append(pid)
    found, queue = [], list(children.get(root, []))
    while queue:
        pid = queue.pop()
        if pid in exclude:
            continue
        queue.extend(children.get(pid, []))
        if table[pid][0] == "Z":
            continue
        found.append(pid)
    return found


def reap_orphans(tracked: set[int]) -> None:
    """Collects the exit status of processes reparented to this subreaper (never of the Popen children)."""
    for pid, fields in _all_processes().items():
        if fields[0] == "Z" and int(fields[1]) == os.getpid() and pid not in tracked:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def become_subreaper() -> bool:
    """Orphaned descendants (a daemonizing pg_ctl's postmaster, a dead master's workers) are reparented here."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


class Process:
    """A service's process in a session of its own, its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name, self.log_path = name, log_path
        self.stopped_in: float | None = None
        self.killed = False
        self.started = time.monotonic()
        with log_path.open("ab") as output:
            self.popen = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = self.popen.pid
        self.start_ticks = start_time(self.pid)

    def running(self) -> bool:
        return self.popen.poll() is None

    def ensure_running(self) -> None:
        if not self.running():
            raise CheckFailed(f"{self.name} exited with code {self.popen.returncode}")

    def tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def session_members(self) -> list[int]:
        return [pid for pid, fields in _all_processes().items() if int(fields[3]) == self.pid and fields[0] != "Z"]

    def terminate(self) -> None:
        """SIGTERM to the service's main process only, as `docker compose stop` sends it to PID 1."""
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)

    def finish(self, grace_end: float) -> None:
        """Waits for the exit until grace_end (monotonic), then SIGKILLs the service's whole session."""
        try:
            self.popen.wait(timeout=max(0.0, grace_end - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.killed = True
        for pid in self.session_members():  # what is left of the service: its workers, its children
            self.killed = self.killed or pid == self.pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)


# --- the run -------------------------------------------------------------------------------------------------------


@dataclass
class Result:
    ok: bool
    name: str
    detail: str
    logs: list[str] = field(default_factory=list)


class Run:
    def __init__(self, timeout: float, keep_logs: bool, compose: Path, allowed_hosts: str) -> None:
        self.compose = compose
        self.allowed_hosts = allowed_hosts
        hosts = [host.strip() for host in allowed_hosts.split(",") if host.strip()]
        # The Host the API is called with: loopback if allowed, else the first name (as a proxy passes it on).
        self.api_host = None if LOOPBACK in hosts else hosts[0]
        self.deadline = Deadline(timeout)
        self.keep_logs = keep_logs
        self.began = time.monotonic()
        self.results: list[Result] = []
        self.run_dir = Path(tempfile.mkdtemp(prefix="wallet-smoke-"))
        self.pg_dir: Path | None = None
        self.postmaster: tuple[int, int | None] | None = None
        self.redis: Process | None = None
        self.processes: dict[str, Process] = {}
        self.services: dict[str, Service] = {}
        self.layout: Layout | None = None
        self.database_url = self.redis_url = ""
        self.watchdog: subprocess.Popen | None = None
        self.cleaned = False
        self.log_dir_kept: Path | None = None
        self.subreaper = become_subreaper()
        (self.run_dir / "logs").mkdir()
        (self.run_dir / "home").mkdir()
        self.state_path = self.run_dir / "state.json"
        self.write_state()
        self.start_watchdog()

    # --- bookkeeping ---

    def write_state(self) -> None:
        """What the watchdog needs to clean up if this process dies without doing it."""
        sessions = [(p.pid, p.start_ticks) for p in [*self.processes.values(), self.redis] if p is not None]
        state = {
            "sessions": sessions,
            "pg_dir": str(self.pg_dir) if self.pg_dir else None,
            "postmaster": self.postmaster,
            "dirs": [str(self.run_dir)] + ([str(self.pg_dir)] if self.pg_dir else []),
        }
        temporary = self.state_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(state))
        temporary.replace(self.state_path)

    def start_watchdog(self) -> None:
        self.watchdog = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--watchdog", str(os.getpid()), str(self.state_path)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # survives a kill of this process's group
        )

    def record(self, ok: bool, name: str, detail: str, services: tuple[str, ...] = ()) -> None:
        logs = []
        if not ok:
            involved = [p for p in self.every_process() if p.name in services or not p.running()]
            for process in involved:
                if process.name in services or process.popen.returncode not in (None, 0):
                    logs.append(f"--- last lines of {process.name} ({process.log_path.name}) ---\n{process.tail()}")
        self.results.append(Result(ok, name, " ".join(detail.split()) if ok else detail, logs))
        log(f"{'PASS' if ok else 'FAIL'} {name}: {detail.splitlines()[0] if detail else ''}")

    @contextlib.contextmanager
    def check(self, name: str, *, services: tuple[str, ...] = (), fatal: bool = False):
        """Records the block as one check: PASS with the detail it sets, or FAIL with the exception."""
        detail: list[str] = []
        try:
            yield detail
        except Exception as error:  # noqa: BLE001 - any failure is this check's
            message = str(error) if isinstance(error, CheckFailed) else f"{type(error).__name__}: {error}"
            self.record(False, name, message, services)
            if fatal:
                raise Abort(name) from error
        else:
            self.record(True, name, "; ".join(detail))

    def every_process(self) -> list[Process]:
        return [p for p in [self.redis, *self.processes.values()] if p is not None]

    def alive(self, *names: str):
        def check() -> None:
            for name in names:
                self.processes[name].ensure_running()

        return check

    # --- infrastructure ---

    def start_postgres(self, detail: list[str]) -> None:
        from scripts import throwaway_postgres

        if not throwaway_postgres.available():
            raise CheckFailed("the PostgreSQL server binaries (initdb, pg_ctl) were not found")
        self.pg_dir = Path(tempfile.mkdtemp(prefix="wallet-smoke-pg-"))
        self.write_state()
        started = time.monotonic()
        admin_url = throwaway_postgres.start(self.pg_dir)
        pid = int((self.pg_dir / "data" / "postmaster.pid").read_text().split()[0])
        self.postmaster = (pid, start_time(pid))
        self.write_state()

        # What the db service's image does on first start with POSTGRES_USER/PASSWORD/DB: a superuser and a database.
        import psycopg2
        from psycopg2 import sql

        user = self.layout.db_env.get("POSTGRES_USER", "postgres")
        password = self.layout.db_env["POSTGRES_PASSWORD"]
        database = self.layout.db_env.get("POSTGRES_DB", user)
        connection = psycopg2.connect(admin_url, connect_timeout=10)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    sql.SQL("CREATE ROLE {} LOGIN SUPERUSER PASSWORD %s").format(sql.Identifier(user)), [password]
                )
                cursor.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(*map(sql.Identifier, (database, user))))
        finally:
            connection.close()
        url = urlsplit(admin_url)
        self.database_url = f"postgres://{user}:{password}@{url.hostname}:{url.port}/{database}"
        detail.append(
            f"throwaway server on {url.hostname}:{url.port}, user {user!r} and database {database!r} as the db"
            f" service creates them, in {time.monotonic() - started:.1f} s"
        )

    def start_redis(self, detail: list[str]) -> None:
        import redis

        command = self.layout.redis_command
        program = shutil.which(command[0])
        if program is None:
            raise CheckFailed(f"{command[0]} is not installed (apt-get install redis-server)")
        port = free_port()
        data = self.run_dir / "redis"
        data.mkdir()
        argv = [program, *command[1:], "--port", str(port), "--bind", LOOPBACK, "--dir", str(data)]
        self.redis = Process("redis", argv, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, self.log_path("redis"))
        self.write_state()
        self.redis_url = f"redis://{LOOPBACK}:{port}/0"
        client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=1, socket_timeout=2)
        wait_for("redis PING", client.ping, self.deadline, timeout=15, interval=0.1, alive=self.redis.ensure_running)
        detail.append(f"{' '.join(command)} on {LOOPBACK}:{port} answers PING")

    def log_path(self, name: str) -> Path:
        return self.run_dir / "logs" / f"{name}.log"

    # --- the app services ---

    def prepare_services(self, detail: list[str]) -> None:
        changed = {}
        for name in [*self.layout.one_shot, *self.layout.long_running]:
            service, changes = local_service(
                self.layout, name, database_url=self.database_url, redis_url=self.redis_url, run_dir=self.run_dir
            )
            for required in ("DATABASE_URL", "REDIS_URL"):
                if required not in changes:
                    raise CheckFailed(f"{name}: {required} does not point at @db:5432 / redis://redis:6379")
            if "${" in json.dumps([service.command, service.env]):
                raise CheckFailed(f"{name}: an interpolation was left unresolved: {service.command}")
            resolve(service.command[0], service.env)
            self.services[name] = service
            changed[name] = service.ports
        ports = ", ".join(f"{name} {p}->{LOOPBACK}:{q}" for name, m in changed.items() for p, q in m.items())
        detail.append(f"ports {ports}")

    def run_one_shot(self, name: str, detail: list[str]) -> None:
        service = self.services[name]
        argv = [resolve(service.command[0], service.env), *service.command[1:]]
        started = time.monotonic()
        process = Process(name, argv, service.env, self.log_path(name))
        self.processes[name] = process
        self.write_state()
        try:
            process.popen.wait(timeout=self.deadline.left(180))
        except subprocess.TimeoutExpired as error:
            raise CheckFailed(f"{' '.join(service.command)} did not finish within 180 s") from error
        if process.popen.returncode != 0:
            raise CheckFailed(f"{' '.join(service.command)} exited with code {process.popen.returncode}")
        detail.append(f"{' '.join(service.command)} exited 0 in {time.monotonic() - started:.1f} s")

    def start_long_running(self, detail: list[str]) -> None:
        for name in self.layout.long_running:
            service = self.services[name]
            argv = [resolve(service.command[0], service.env), *service.command[1:]]
            log(f"starting {name}: {' '.join(service.command)}")
            self.processes[name] = Process(name, argv, service.env, self.log_path(name))
            self.write_state()
        detail.append(", ".join(self.layout.long_running))

    def host_header(self) -> dict[str, str]:
        return {"Host": self.api_host} if self.api_host else {}

    def url(self, name: str, path: str = "") -> str:
        (port,) = self.services[name].ports.values()
        return f"http://{LOOPBACK}:{port}{path}"

    def wait_ready(self, detail: list[str]) -> None:
        import requests

        started = time.monotonic()

        def readyz():
            response = requests.get(self.url("web", "/readyz"), headers=self.host_header(), timeout=5)
            return response if response.status_code == 200 else None

        response = wait_for("web /readyz answers 200", readyz, self.deadline, timeout=120, alive=self.alive("web"))
        checks = response.json().get("checks", {})
        if checks != {"database": "ok", "redis": "ok"}:
            raise CheckFailed(f"/readyz checks: {checks}")
        detail.append(f"200 {json.dumps(response.json(), sort_keys=True)} after {time.monotonic() - started:.1f} s")

    def wait_healthz(self, detail: list[str]) -> None:
        import requests

        started = time.monotonic()

        def healthz():
            response = requests.get(self.url("realtime", "/healthz"), headers=self.host_header(), timeout=5)
            return response if response.status_code == 200 else None

        response = wait_for(
            "realtime /healthz answers 200", healthz, self.deadline, timeout=120, alive=self.alive("realtime")
        )
        detail.append(f"200 {response.text.strip()} from daphne after {time.monotonic() - started:.1f} s")

    def run_healthchecks(self, detail: list[str]) -> None:
        """Each service's own compose healthcheck command, until it passes within compose's window."""
        failures = []
        for name in self.layout.long_running:
            service = self.services[name]
            if service.healthcheck is None:
                continue
            env = {**service.env, "HOSTNAME": socket.gethostname()}
            argv = [resolve(service.healthcheck[0], env), *service.healthcheck[1:]]
            process = self.processes[name]
            attempts = 0

            def attempt(argv=argv, env=env, service=service) -> bool:
                nonlocal attempts
                attempts += 1
                done = subprocess.run(
                    argv,
                    cwd=ROOT,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    timeout=self.deadline.left(service.health_timeout),
                )
                if done.returncode != 0:
                    output = (done.stdout + done.stderr).strip().splitlines() or [""]
                    raise CheckFailed(f"exit {done.returncode}: {output[-1][-300:]}")
                return True

            window = max(1.0, service.health_window - (time.monotonic() - process.started))
            try:
                wait_for(
                    f"{name}'s healthcheck",
                    attempt,
                    self.deadline,
                    timeout=window,
                    interval=1,
                    alive=process.ensure_running,
                )
            except CheckFailed as error:
                failures.append(f"{name}: {error} [{' '.join(service.healthcheck)}]")
                continue
            detail.append(f"{name} ({attempts} attempt{'s' if attempts > 1 else ''})")
        if failures:
            raise CheckFailed("; ".join(failures) + (f" (passed: {'; '.join(detail)})" if detail else ""))

    # --- the smoke test through the API ---

    def graphql(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        import requests

        headers = {**PROXY_HEADERS, **self.host_header()}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = requests.post(
            self.url("web", "/graphql/"),
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=(5, 30),
            allow_redirects=False,
        )
        if response.status_code != 200:
            raise CheckFailed(f"HTTP {response.status_code}: {response.text[:300]}")
        body = response.json()
        if body.get("errors"):
            raise CheckFailed(f"GraphQL errors: {json.dumps(body['errors'])[:500]}")
        return body["data"]

    def check_https_redirect(self, detail: list[str]) -> None:
        import requests

        response = requests.post(
            self.url("web", "/graphql/"),
            json={"query": "{ __typename }"},
            headers=self.host_header(),
            timeout=10,
            allow_redirects=False,
        )
        location = response.headers.get("Location", "")
        if response.status_code != 301 or not location.startswith("https://"):
            raise CheckFailed(f"plain HTTP without X-Forwarded-Proto got {response.status_code} {location!r}")
        detail.append(f"plain HTTP -> 301 {location} (production settings, SECURE_SSL_REDIRECT)")

    def register(self, username: str) -> str:
        payload = self.graphql(REGISTER, {"input": {"username": username, "password": PASSWORD}})["register"]
        if payload["errors"] or not payload["token"] or payload["user"]["username"] != username:
            raise CheckFailed(f"register {username}: {payload}")
        return payload["token"]

    def smoke(self) -> None:
        import redis
        import requests

        client = redis.Redis.from_url(self.redis_url, socket_timeout=5, decode_responses=True)
        api = ("web",)
        alice, bob = "smokealice", "smokebob"
        tokens: dict[str, str] = {}
        with self.check("register", services=api, fatal=True) as detail:
            tokens = {name: self.register(name) for name in (alice, bob)}
            detail.append(f"{alice} and {bob} registered, each with an access token")

        with self.check("addMoney", services=api, fatal=True) as detail:
            payload = self.graphql(
                ADD_MONEY, {"input": {"amount": "100.00", "idempotencyKey": "smoke-topup"}}, tokens[alice]
            )["addMoney"]
            if payload["errors"] or payload["transaction"]["status"] != "SUCCESS":
                raise CheckFailed(str(payload))
            if Decimal(payload["wallet"]["balance"]) != Decimal("100"):
                raise CheckFailed(f"balance {payload['wallet']['balance']} after adding 100.00")
            detail.append(f"{alice} +100.00, balance {payload['wallet']['balance']}")

        with contextlib.ExitStack() as stack:
            ws = None
            with self.check("subscribe", services=("realtime",)) as detail:
                ws = stack.enter_context(self.subscribe(tokens[bob]))
                # The subscription has joined its wallet's channel group once channels-redis holds the group.
                wait_for(
                    "the subscription joined its wallet's group",
                    lambda: list(client.scan_iter(match="asgi:group:wallet.*", count=1000)),
                    self.deadline,
                    timeout=20,
                    interval=0.1,
                )
                detail.append(f"{bob} subscribed to walletEvents over WebSocket (graphql-transport-ws) on realtime")

            transfer = {}
            with self.check("transfer", services=api, fatal=True) as detail:
                payload = self.graphql(
                    TRANSFER,
                    {"input": {"receiverUsername": bob, "amount": "12.50", "idempotencyKey": "smoke-transfer"}},
                    tokens[alice],
                )["transfer"]
                transfer = payload["transaction"] or {}
                if payload["errors"] or transfer.get("status") != "SUCCESS":
                    raise CheckFailed(str(payload))
                if Decimal(payload["wallet"]["balance"]) != Decimal("87.50"):
                    raise CheckFailed(f"balance {payload['wallet']['balance']} after paying 12.50 out of 100.00")
                detail.append(f"{alice} -> {bob} 12.50 SUCCESS, {alice}'s balance {payload['wallet']['balance']}")
            transfer_id = transfer["id"]
            pk = int(base64.b64decode(transfer_id).decode().split(":")[1])

            if ws is not None:
                with self.check("subscription", services=("realtime", "notifier", "relay")) as detail:
                    event = self.receive_event(ws, transfer_id)
                    expected = ("transaction.succeeded", "TRANSFER", "SUCCESS")
                    if (event["type"], event["kind"], event["status"]) != expected:
                        raise CheckFailed(f"unexpected event {event}")
                    if Decimal(event["amount"]) != Decimal("12.50") or Decimal(event["balance"]) != Decimal("12.50"):
                        raise CheckFailed(f"unexpected amounts {event}")
                    detail.append(
                        f"{bob} received {event['type']} {event['kind']} {event['amount']}, balance"
                        f" {event['balance']} (relay -> Redis -> notifier -> channels-redis -> daphne)"
                    )

        found: dict = {}
        with self.check("event on Redis", services=("relay",)) as detail:

            def published():
                for key in sorted(client.scan_iter(match="wallet-events:*", _type="stream")):
                    for entry_id, fields in client.xrange(key):
                        event = json.loads(fields["event"])
                        if event.get("transaction_id") == pk and event.get("type") == "transaction.succeeded":
                            return {"key": key, "entry_id": entry_id, "event": event}
                return None

            found = wait_for(
                "the transfer's event on a wallet-events stream",
                published,
                self.deadline,
                timeout=30,
                alive=self.alive("relay"),
            )
            event = found["event"]
            detail.append(
                f"XADD {found['key']} {found['entry_id']}: {event['type']} {event['kind']} {event['amount']}"
                f" {event['currency']}, event_id {event['event_id']}"
            )

        with self.check("receipt", services=("receipts", "worker", "web")) as detail:
            urls = {}
            for name in (alice, bob):

                def ready(name=name):
                    receipt = self.graphql(RECEIPT, {"id": transfer_id}, tokens[name])["transaction"]["receipt"]
                    return receipt if receipt and receipt["status"] == "READY" and receipt["url"] else None

                urls[name] = wait_for(
                    f"{name}'s receipt READY",
                    ready,
                    self.deadline,
                    timeout=90,
                    interval=0.5,
                    alive=self.alive("receipts", "worker"),
                )["url"]
            link = urlsplit(urls[alice])
            (web_port,) = self.services["web"].ports.values()
            expected = self.api_host or f"{LOOPBACK}:{web_port}"
            if link.scheme != "https" or link.netloc != expected:
                raise CheckFailed(f"the receipt link {urls[alice]} is not https://{expected}/… (the proxy's scheme)")
            response = requests.get(
                self.url("web", link.path),
                headers={**PROXY_HEADERS, **self.host_header()},
                timeout=30,
                allow_redirects=False,
            )
            if response.status_code != 200 or response.headers.get("Content-Type") != "application/pdf":
                raise CheckFailed(f"download: HTTP {response.status_code} {response.headers.get('Content-Type')}")
            if not response.content.startswith(b"%PDF"):
                raise CheckFailed(f"download is not a PDF: {response.content[:20]!r}")
            detail.append(
                f"READY for both participants; {alice}'s PDF downloaded ({len(response.content)} bytes,"
                f" %PDF, application/pdf) from {link.scheme}://{link.netloc}/receipts/…"
            )

        with self.check("consumers", services=("receipts", "notifier")) as detail:
            if not found:
                raise CheckFailed("no event to look for (see 'event on Redis')")
            groups = [
                self.services[name].command[self.services[name].command.index("--consumer") + 1]
                for name in self.layout.long_running
                if "consume_events" in self.services[name].command
            ]

            def entry(value: str) -> tuple[int, int]:
                ms, _, seq = value.partition("-")
                return int(ms), int(seq or 0)

            def consumed():
                info = {group["name"]: group for group in client.xinfo_groups(found["key"])}
                done = all(
                    name in info
                    and info[name]["pending"] == 0
                    and entry(info[name]["last-delivered-id"]) >= entry(found["entry_id"])
                    for name in groups
                )
                return info if done else None

            consumers = [name for name in self.layout.long_running if "consume_events" in self.services[name].command]
            info = wait_for(
                "both consumer groups acknowledged the event",
                consumed,
                self.deadline,
                timeout=30,
                alive=self.alive(*consumers),
            )
            detail.append(
                ", ".join(
                    f"group {name}: delivered up to {info[name]['last-delivered-id']}, pending {info[name]['pending']}"
                    for name in groups
                )
            )

        if "scheduler" in self.processes:
            with self.check("scheduler", services=("scheduler",)) as detail:
                process = self.processes["scheduler"]

                def ran():
                    return re.search(r"released \d+ expired hold\(s\)", process.tail(200))

                match = wait_for(
                    "release_expired_holds ran", ran, self.deadline, timeout=30, alive=process.ensure_running
                )
                detail.append(f"{' '.join(self.services['scheduler'].command[1:])}: {match.group(0)!r}")

    @contextlib.contextmanager
    def subscribe(self, token: str):
        from websockets.sync.client import connect

        (port,) = self.services["realtime"].ports.values()
        with connect(
            f"ws://{LOOPBACK}:{port}/graphql/",
            subprotocols=["graphql-transport-ws"],
            open_timeout=10,
            close_timeout=5,
        ) as ws:
            ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": token}}))
            ack = json.loads(ws.recv(timeout=self.deadline.left(15)))
            if ack.get("type") != "connection_ack":
                raise CheckFailed(f"connection_init answered {ack}")
            ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
            yield ws

    def receive_event(self, ws, transaction_id: str) -> dict:
        end = time.monotonic() + self.deadline.left(30)
        seen = []
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise CheckFailed(f"no walletEvents message for the transfer within 30 s; got {seen}")
            try:
                message = json.loads(ws.recv(timeout=left))
            except TimeoutError:
                continue
            if message.get("type") == "ping":
                ws.send(json.dumps({"type": "pong"}))
                continue
            if message.get("type") in ("error", "complete"):
                raise CheckFailed(f"the subscription ended: {message}")
            seen.append(message)
            event = ((message.get("payload") or {}).get("data") or {}).get("walletEvents") or {}
            if message.get("type") == "next" and event.get("transactionId") == transaction_id:
                return event

    # --- the end ---

    def check_running(self, detail: list[str]) -> None:
        dead = [f"{p.name} (exit {p.popen.returncode})" for p in self.long_running_processes() if not p.running()]
        if dead:
            raise CheckFailed("exited before the stop: " + ", ".join(dead))
        detail.append(f"all {len(self.long_running_processes())} services still up after the smoke test")

    def long_running_processes(self) -> list[Process]:
        return (
            [self.processes[name] for name in self.layout.long_running if name in self.processes] if self.layout else []
        )

    def stop_services(self) -> list[Process]:
        """Like docker compose stop: SIGTERM to each main process at once, SIGKILL after the grace."""
        services = [p for p in self.processes.values() if p.running() or p.session_members()]
        sent = time.monotonic()
        for process in services:
            process.terminate()
        waiting = list(services)
        while waiting and time.monotonic() < sent + STOP_GRACE_SECONDS:
            for process in list(waiting):
                if not process.running():
                    process.stopped_in = time.monotonic() - sent
                    waiting.remove(process)
            time.sleep(0.05)
        for process in services:
            process.finish(time.monotonic())  # SIGKILLs what is still there: the late ones, leftover children
            if process.stopped_in is None:
                process.stopped_in = time.monotonic() - sent
        return services

    def cleanup(self) -> Result | None:
        """Stops everything this run started and removes its directories; idempotent. Returns the stop check."""
        if self.cleaned:
            return None
        self.cleaned = True
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # finish the cleanup; the watchdog covers a SIGKILL
        stop_result = None
        problems = []
        try:
            long_running = {p.name for p in self.long_running_processes()}
            stopped = self.stop_services()
            timed = [p for p in stopped if p.name in long_running]
            if timed:
                slow = [p.name for p in timed if p.killed]
                times = ", ".join(f"{p.name} {p.stopped_in:.1f} s" for p in timed)
                stop_result = Result(
                    not slow,
                    "stop",
                    f"SIGTERM -> exited: {times}"
                    if not slow
                    else f"still running {STOP_GRACE_SECONDS} s after SIGTERM, killed: {', '.join(slow)} ({times})",
                    [f"--- last lines of {p.name} ---\n{p.tail()}" for p in timed if p.killed],
                )
        except Exception as error:  # noqa: BLE001 - the cleanup goes on
            problems.append(f"stopping the services: {error!r}")
        if self.redis is not None:
            try:
                self.redis.terminate()
                self.redis.finish(time.monotonic() + STOP_GRACE_SECONDS)
            except Exception as error:  # noqa: BLE001
                problems.append(f"stopping redis: {error!r}")
        if self.pg_dir is not None:
            try:
                from scripts import throwaway_postgres

                throwaway_postgres.stop(self.pg_dir)
            except Exception as error:  # noqa: BLE001
                problems.append(f"stopping postgres: {error!r}")
            if self.postmaster and still_running(*self.postmaster):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.postmaster[0], signal.SIGKILL)
                problems.append("the postmaster survived pg_ctl stop (killed)")
        # Anything left: descendants of this subreaper (its own watchdog aside).
        tracked = {p.pid for p in self.every_process()}
        exclude = {self.watchdog.pid} if self.watchdog else set()
        end = time.monotonic() + 10
        left = descendants(os.getpid(), exclude=exclude)
        while left and time.monotonic() < end:
            time.sleep(0.2)
            reap_orphans(tracked)
            left = descendants(os.getpid(), exclude=exclude)
        if left:
            problems.append("left behind and killed: " + "; ".join(f"{pid} {command_line(pid)}" for pid in left))
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        reap_orphans(tracked)
        if self.keep_logs:
            kept = Path(tempfile.mkdtemp(prefix="wallet-smoke-logs-"))
            for path in (self.run_dir / "logs").glob("*.log"):
                shutil.copy(path, kept / path.name)
            self.log_dir_kept = kept
        for directory in [self.run_dir, self.pg_dir]:
            if directory is not None:
                shutil.rmtree(directory, ignore_errors=True)
                if directory.exists():
                    problems.append(f"{directory} could not be removed")
        if self.watchdog is not None:
            self.watchdog.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.watchdog.wait(timeout=5)
        if stop_result is not None:
            self.results.append(stop_result)
        where = "descendants" if self.subreaper else "processes of this run"
        self.results.append(
            Result(
                not problems,
                "cleanup",
                "; ".join(problems)
                if problems
                else f"no {where} left; redis and postgres stopped; temp directories removed",
            )
        )
        return stop_result

    def execute(self) -> None:
        local = Variables(
            {
                "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
                "DJANGO_ALLOWED_HOSTS": self.allowed_hosts,
                "POSTGRES_PASSWORD": secrets.token_hex(16),  # in DATABASE_URL: URL-safe
            }
        )
        with self.check("compose", fatal=True) as detail:
            self.layout = read_compose(self.compose, local)
            detail.append(
                f"{self.compose.name}: one-shot {', '.join(self.layout.one_shot)}; long-running"
                f" {', '.join(self.layout.long_running)}; not run here: {', '.join(self.layout.not_run) or 'none'}"
            )
            if local.generated:
                detail.append(f"generated random values for the required {', '.join(sorted(local.generated))}")
            if local.unset:
                detail.append(f"unset variables (empty, as compose does): {', '.join(sorted(local.unset))}")
        with self.check("postgres", fatal=True) as detail:
            self.start_postgres(detail)
        with self.check("redis", services=("redis",), fatal=True) as detail:
            self.start_redis(detail)
        with self.check("environment", fatal=True) as detail:
            self.prepare_services(detail)
            detail.insert(0, "DATABASE_URL and REDIS_URL point at the local servers")
        for name in self.layout.one_shot:
            with self.check(name, services=(name,), fatal=True) as detail:
                self.run_one_shot(name, detail)
        with self.check("start", services=tuple(self.layout.long_running), fatal=True) as detail:
            self.start_long_running(detail)
        with self.check("web /readyz", services=("web",), fatal=True) as detail:
            self.wait_ready(detail)
        with self.check("realtime /healthz", services=("realtime",), fatal=True) as detail:
            self.wait_healthz(detail)
        with self.check("healthchecks", services=tuple(self.layout.long_running)) as detail:
            self.run_healthchecks(detail)
        with self.check("https redirect", services=("web",)) as detail:
            self.check_https_redirect(detail)
        self.smoke()
        with self.check("running") as detail:  # the dead ones' logs are shown
            self.check_running(detail)

    def summary(self) -> int:
        failed = [result for result in self.results if not result.ok]
        shown = set()
        for result in failed:
            for block in result.logs:
                if block not in shown:
                    shown.add(block)
                    print(block, file=sys.stderr)
        print()
        for result in self.results:
            print(f"{'PASS' if result.ok else 'FAIL'} {result.name}: {result.detail}")
        elapsed = time.monotonic() - self.began
        if failed:
            print(f"smoke_stack: {len(failed)} of {len(self.results)} checks FAILED in {elapsed:.1f} s")
        else:
            print(f"smoke_stack: all {len(self.results)} checks passed in {elapsed:.1f} s")
        if self.log_dir_kept:
            print(f"logs kept in {self.log_dir_kept}")
        sys.stdout.flush()
        return 1 if failed else 0


class Abort(Exception):
    """A check the rest depends on failed: stop here (and clean up)."""


def _on_signal(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


# --- the watchdog --------------------------------------------------------------------------------------------------


def watchdog(parent: int, state_path: Path) -> int:
    """Waits for `parent` to end; if it left its state file (it did not clean up), cleans up after it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent_started = start_time(parent)
    while parent_started is not None:
        fields = _stat(parent)
        if fields is None or fields[0] == "Z" or int(fields[19]) != parent_started:
            break
        time.sleep(0.5)
    try:
        state = json.loads(state_path.read_text())
    except (OSError, ValueError):
        return 0  # cleaned up (or never started anything)
    sessions = {pid: ticks for pid, ticks in state["sessions"]}
    for signum, pause in ((signal.SIGTERM, STOP_GRACE_SECONDS), (signal.SIGKILL, 2)):
        members = [
            pid
            for pid, fields in _all_processes().items()
            if int(fields[3]) in sessions
            and fields[0] != "Z"
            # Not a later process that happens to reuse a session id: started no earlier than its session's leader.
            and int(fields[19]) >= (sessions[int(fields[3])] or 0)
        ]
        for pid in members:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
        if members:
            time.sleep(pause)
    if state.get("pg_dir"):
        from scripts import throwaway_postgres

        with contextlib.suppress(Exception):
            throwaway_postgres.stop(Path(state["pg_dir"]))
        postmaster = state.get("postmaster")
        if postmaster and still_running(*postmaster):
            with contextlib.suppress(ProcessLookupError):
                os.kill(postmaster[0], signal.SIGKILL)
    for directory in state["dirs"]:
        shutil.rmtree(directory, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=float, default=200, help="the whole run's limit in seconds (default 200)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the services' logs (the path is printed)")
    parser.add_argument(
        "--allowed-hosts",
        default=f"localhost,{LOOPBACK}",
        help="DJANGO_ALLOWED_HOSTS (default localhost,127.0.0.1); without 127.0.0.1 the API is called with"
        " the first name as Host, as behind a proxy, while the compose healthchecks still use 127.0.0.1",
    )
    parser.add_argument("--compose", type=Path, default=ROOT / "docker-compose.yml", help="the compose file to run")
    parser.add_argument("--watchdog", nargs=2, metavar=("PID", "STATE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.watchdog:
        return watchdog(int(args.watchdog[0]), Path(args.watchdog[1]))

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _on_signal)
    run = Run(args.timeout, args.keep_logs, args.compose.resolve(), args.allowed_hosts)
    import atexit

    atexit.register(run.cleanup)
    try:
        run.execute()
    except Abort:
        pass
    except Interrupted as signal_name:
        run.record(False, "interrupted", f"received {signal_name}; stopping everything")
    except TimeoutError as error:
        run.record(False, "time limit", str(error), tuple(p.name for p in run.every_process()))
    except Exception as error:  # noqa: BLE001 - reported as a failure; the cleanup runs either way
        run.record(False, "unexpected error", f"{type(error).__name__}: {error}")
    finally:
        run.cleanup()  # the failures' log tails were read when they were recorded
    return run.summary()


if __name__ == "__main__":
    sys.exit(main())
