"""Test configuration: which database the session runs on, and shared fixtures.

The session runs on PostgreSQL whenever it can: DATABASE_URL pointing at a
server, or else a throwaway server started here from the local initdb/pg_ctl.
WALLET_TEST_DATABASE=sqlite forces the embedded default (scripts/test runs the
suite both ways). Tests marked `postgres` (row locks, triggers, concurrency)
are skipped with a reason on SQLite, and fail instead under CI=true.
"""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import dj_database_url
import pytest
from django.conf import settings
from django.db import connections

from scripts import throwaway_postgres

_throwaway_directory: Path | None = None


def _on_postgres() -> bool:
    return connections["default"].vendor == "postgresql"


def pytest_configure(config):
    global _throwaway_directory
    # Password hashing is deliberately slow; tests register many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests drive the event consumers themselves (or turn this on where they test it).
    settings.EVENTS_IN_PROCESS = False
    if os.environ.get("WALLET_TEST_DATABASE") == "sqlite":
        if not _on_postgres():
            return
        settings.DATABASES["default"] = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(settings.BASE_DIR / "db.sqlite3"),
            "OPTIONS": {"transaction_mode": "IMMEDIATE"},
        }
    elif not _on_postgres() and throwaway_postgres.available():
        _throwaway_directory = Path(tempfile.mkdtemp(prefix="wallet-test-pg-"))
        url = throwaway_postgres.start(_throwaway_directory)
        settings.DATABASES["default"] = dj_database_url.parse(url)
    else:
        return
    # Django has made its connection objects already: make it rebuild them
    # from the new settings (nothing has queried the database yet).
    connections.close_all()
    connections.__dict__.pop("settings", None)
    connections._settings = settings.DATABASES
    connections.settings  # noqa: B018 - fills in Django's per-database defaults
    for alias in list(connections.settings):
        with contextlib.suppress(AttributeError):
            del connections[alias]


def pytest_unconfigure(config):
    if _throwaway_directory is not None:
        throwaway_postgres.stop(_throwaway_directory)
        shutil.rmtree(_throwaway_directory, ignore_errors=True)


def pytest_report_header(config):
    connection = connections["default"]
    return f"database: {connection.vendor} {connection.settings_dict.get('HOST') or ''}".rstrip()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with no attempts counted (the limits live in the process's cache)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _postgres_only(request):
    if request.node.get_closest_marker("postgres") is None or _on_postgres():
        return
    reason = (
        "needs PostgreSQL: set DATABASE_URL=postgres://… or install the PostgreSQL server binaries "
        "(initdb, pg_ctl) so the tests can start a throwaway server"
    )
    _unavailable(reason)


@pytest.fixture
def make_user(db):
    """Registers a user (with wallet) through the service; returns the User."""
    from wallet.services import user_register

    counter = iter(range(1, 10_000))

    def make(username: str | None = None, *, mobile_number: str | None = None, password: str = "s3cure-Passw0rd"):
        return user_register(
            username=username or f"user{next(counter)}", password=password, mobile_number=mobile_number
        )

    return make


@pytest.fixture
def fund(db):
    """Adds money to a user's wallet through the ledger service."""
    import uuid
    from decimal import Decimal

    from wallet.services import money_add

    def add(user, amount: str):
        result = money_add(user=user, amount=Decimal(amount), idempotency_key=f"fund-{uuid.uuid4()}")
        assert result.error is None
        return result

    return add


@pytest.fixture
def api(live_server):
    """An anonymous GraphQL client of the live server; `.as_user(token)` signs it in."""
    from tests.support.api import GraphQLApi

    return GraphQLApi(f"{live_server.url}/graphql/")


@pytest.fixture
def token_for():
    from wallet.services import tokens_issue

    return lambda user: tokens_issue(user=user).token


def _unavailable(reason: str):
    """Skip with the reason; under CI=true a missing server is a failure instead."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true forbids skipping: {reason}")
    pytest.skip(reason)


@pytest.fixture
def redis_url(redis_server_url):
    """The session's Redis, emptied for this test."""
    import redis

    redis.Redis.from_url(redis_server_url).flushall()
    return redis_server_url


@pytest.fixture(scope="session")
def redis_server_url():
    """A real redis-server started for the session (Debian's redis-server package)."""
    from tests.support import redis_server

    if not redis_server.available():
        _unavailable("needs redis-server (apt-get install redis-server) to test the Redis transport")
    process, url = redis_server.start()
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def process_env(redis_url):
    """The environment for the service's own processes (relay, consumers, worker, ASGI server) in a test:
    the test database, the test's Redis, events on Redis."""
    from django.db import connection

    db = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": redis_url,
        "EVENT_TRANSPORT": "redis",
    }


@pytest.fixture
def manage(process_env):
    """Runs `manage.py <args>` as its own process, as an operator would; fails the test if it fails."""
    import subprocess
    import sys

    def run(*args: str) -> None:
        subprocess.run([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=process_env, check=True)

    return run
