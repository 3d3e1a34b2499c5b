"""docker-compose.yml's processes run for real on this machine (no Docker engine): scripts/smoke_stack.py starts a
throwaway PostgreSQL and a redis-server, runs migrate, starts web (gunicorn), realtime (daphne), worker (Celery),
relay, receipts, notifier and scheduler with the compose file's own commands and environment, and sends a transfer
through all of them (see the script's docstring). It cleans up after itself, also when it fails or is stopped.
"""

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import throwaway_postgres
from tests.conftest import _unavailable

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "smoke_stack.py"
TIMEOUT_SECONDS = 240
# The script's own limit, below the test's: it fails, reports and cleans up before the test would stop it.
SCRIPT_TIMEOUT_SECONDS = 200
CHECKS = [
    "compose",
    "postgres",
    "redis",
    "environment",
    "migrate",
    "start",
    "web /readyz",
    "realtime /healthz",
    "healthchecks",
    "https redirect",
    "register",
    "addMoney",
    "subscribe",
    "transfer",
    "subscription",
    "event on Redis",
    "receipt",
    "consumers",
    "scheduler",
    "running",
    "stop",
    "cleanup",
]


def _requirements() -> None:
    if shutil.which("redis-server") is None:
        _unavailable("needs redis-server (apt-get install redis-server) to run the compose layout's Redis")
    if not throwaway_postgres.available():
        _unavailable("needs the PostgreSQL server binaries (initdb, pg_ctl) to run the compose layout's database")
    bin_dir = Path(sys.executable).parent
    missing = [name for name in ("gunicorn", "daphne", "celery") if not (bin_dir / name).exists()]
    if missing:
        _unavailable(f"needs {', '.join(missing)} in the venv (scripts/bootstrap installs them)")


def test_the_compose_layout_runs_locally_and_moves_money_end_to_end():
    _requirements()
    process = subprocess.Popen(
        # The host name .env.example ships: the health checks must pass with a real one too.
        [
            sys.executable,
            str(SCRIPT),
            "--timeout",
            str(SCRIPT_TIMEOUT_SECONDS),
            "--allowed-hosts",
            "wallet.example.com",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)  # the script stops its services and cleans up on SIGTERM
        try:
            stdout, stderr = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()  # its watchdog cleans up after it
            stdout, stderr = process.communicate(timeout=10)
        pytest.fail(f"smoke_stack.py ran longer than {TIMEOUT_SECONDS} s:\n{stdout}\n{stderr[-5000:]}")

    report = f"stdout:\n{stdout}\nstderr (end):\n{stderr[-8000:]}"
    assert process.returncode == 0, report
    lines = stdout.splitlines()
    assert not [line for line in lines if line.startswith("FAIL")], report
    for name in CHECKS:
        assert any(line.startswith(f"PASS {name}: ") for line in lines), f"no PASS line for {name!r}\n{report}"
    assert lines[-1].startswith(f"smoke_stack: all {len(CHECKS)} checks passed in "), report
