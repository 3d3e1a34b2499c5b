"""The soak's short form: bench/soak for 20 seconds on its own PostgreSQL and gunicorn (the full one is 10 minutes)."""

import json
import subprocess
import sys

from django.conf import settings


def test_a_short_mixed_soak_loses_nothing_and_never_answers_500(tmp_path):
    out = tmp_path / "soak.json"

    finished = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--duration", "20", "--clients", "8", "--workers", "3", "--out", str(out)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["http_5xx"] == 0 and report["internal_errors"] == 0
    assert report["ledger"]["ok"], report["ledger"]["problems"]
    assert report["problems"] == []
    assert report["outcomes"]["transfer:SUCCESS"] > 50
    assert report["outcomes"].get("replay:DIFFERENT", 0) == 0 and report["outcomes"]["replay:same_outcome"] > 0
    assert report["outcomes"]["bad_input:BAD_USER_INPUT"] > 0
    assert report["outcomes"]["login:ok"] > 0
