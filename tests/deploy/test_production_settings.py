"""server.settings.production: what a deployment must set, and `check --deploy` passing."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

GOOD_KEY = "k" * 20 + "Q7x-9vZpL2mN4bR8tY1wE6uI3oP5aS0dF"


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "server.settings.production", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_the_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="wallet.example",
        LEDGER_HASH_KEY=GOOD_KEY[::-1],
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "env, named",
    [
        ({"DJANGO_ALLOWED_HOSTS": "wallet.example"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": GOOD_KEY}, "DJANGO_ALLOWED_HOSTS"),
        ({"DJANGO_SECRET_KEY": GOOD_KEY, "DJANGO_ALLOWED_HOSTS": "w"}, "LEDGER_HASH_KEY"),
        (
            {"DJANGO_SECRET_KEY": "dev-only-insecure-key-change-me-0123456789abcdef", "DJANGO_ALLOWED_HOSTS": "w"},
            "long random",
        ),
        ({"DJANGO_SECRET_KEY": "short", "DJANGO_ALLOWED_HOSTS": "w"}, "long random"),
        ({"DJANGO_SECRET_KEY": GOOD_KEY, "DJANGO_ALLOWED_HOSTS": "w", "DJANGO_DEBUG": "true"}, "DJANGO_DEBUG"),
    ],
    ids=["no secret key", "no allowed hosts", "no ledger key", "the dev key", "a short key", "debug on"],
)
def test_starting_without_what_production_needs_stops_with_a_clear_error(env, named):
    result = manage("check", **env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr


def test_production_turns_the_https_rules_on():
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_PROXY_SSL_HEADER, s.LOG_FORMAT, s.CORS_ALLOWED_ORIGINS)"
    )
    result = manage(
        "shell",
        "--verbosity",
        "0",
        "-c",
        code,
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="wallet.example",
        LEDGER_HASH_KEY=GOOD_KEY[::-1],
        CORS_ALLOWED_ORIGINS="https://app.example",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "31536000",
        "True",
        "True",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "json",
        "['https://app.example']",
    ]
