"""The statement downloads: time to first byte, total time and the server's peak memory of a statement's CSV and PDF
as its period grows (10,000 and 100,000 entries in one period by default).

    .venv/bin/python -m bench.statements [--sizes 10000,100000] [--repeat 3]

It starts its own throwaway PostgreSQL (durable, as bench/run's) and one gunicorn sync worker, and stops both.
One wallet ("stmt00001") gets the entries, all made in the statement's period (bench/fixtures.py's grow_history:
0.01 back and forth with a second wallet, sealed into the hash chain). At each size, for each format, as the
wallet's owner over HTTP: the statement query, then `--repeat` downloads of its link, read as they stream in.

Memory is the worker's peak RSS growth during one download: before it the peak is reset (`echo 5 >
/proc/<pid>/clear_refs`) and the resident size read (VmRSS); after it the peak (VmHWM) is read. The first download
of each format is a warm-up (imports, first-use caches), not counted. In this process, the same generators the view
streams are also run under tracemalloc, for the Python heap's peak alone.
"""

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

import httpx

from bench.__main__ import PASSWORD, SERVICE_ENV, log, migrated_database
from scripts import harness

PREFIX = "stmt"
DOCUMENT = (
    "query($from: DateTime!, $to: DateTime!) { statement(from: $from, to: $to) {"
    " count openingBalance closingBalance totalIn totalOut csvUrl pdfUrl } }"
)


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS


def download(url: str, worker: int) -> dict:
    _reset_peak(worker)
    before = _status_kib(worker, "VmRSS")
    started = time.perf_counter()
    first_byte = None
    size = 0
    with httpx.stream("GET", url, timeout=600) as response:
        response.raise_for_status()
        for chunk in response.iter_raw():
            if first_byte is None:
                first_byte = time.perf_counter() - started
            size += len(chunk)
    total = time.perf_counter() - started
    return {
        "ttfb_ms": round(first_byte * 1000, 1),
        "total_ms": round(total * 1000, 1),
        "bytes": size,
        "peak_rss_growth_kib": _status_kib(worker, "VmHWM") - before,
    }


def heap_peak(render, period) -> dict:
    """The Python heap's peak (tracemalloc) while this process runs the generator the view streams."""
    tracemalloc.start()
    try:
        started = time.perf_counter()
        size = sum(len(chunk) for chunk in render(period))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {"bytes": size, "seconds": round(time.perf_counter() - started, 2), "heap_peak_kib": peak // 1024}


def run(*, sizes: list[int], repeat: int) -> dict:
    results = []
    with migrated_database(SERVICE_ENV) as (env, _database):
        from datetime import timedelta

        from django.utils import timezone
        from graphql_jwt.shortcuts import get_token

        from bench import fixtures
        from wallet.models import LedgerEntry, Wallet
        from wallet.services.statements import StatementPeriod, statement_csv, statement_pdf

        fixtures.create_funded_users(prefix=PREFIX, count=2, balance_minor=100_000, password=PASSWORD)
        one, other = Wallet.objects.filter(user__username__startswith=PREFIX).select_related("user").order_by("id")
        # grow_history stamps every entry two days ago: the period is the three days before now.
        period_from, period_to = timezone.now() - timedelta(days=3), timezone.now()
        server = harness.gunicorn(env, workers=1)
        try:
            worker = server.children()[0]
            token = get_token(one.user)
            for size in sizes:
                log(f"growing the wallet to {size:,} entries in the period")
                fixtures.grow_history(one_wallet=one, other_wallet=other, total_entries=2 * size + 4)
                fixtures.vacuum_analyze()
                entries = LedgerEntry.objects.filter(wallet=one, created_at__gte=period_from).count()
                variables = {"from": period_from.isoformat(), "to": period_to.isoformat()}
                times = []
                for _ in range(repeat + 1):  # the first one warms up
                    query_started = time.perf_counter()
                    body = httpx.post(
                        f"http://127.0.0.1:{server.port}/graphql/",
                        json={"query": DOCUMENT, "variables": variables},
                        headers={"Authorization": f"Bearer {token}"},
                        timeout=60,
                    ).json()
                    times.append((time.perf_counter() - query_started) * 1000)
                query_ms = round(sorted(times[1:])[len(times[1:]) // 2], 1)
                statement = body["data"]["statement"]
                assert statement["count"] == entries, (statement["count"], entries)
                figures = ("count", "openingBalance", "closingBalance", "totalIn", "totalOut")
                row = {
                    "entries": entries,
                    "statement_query_ms": query_ms,
                    "statement": {k: statement[k] for k in figures},
                }
                for file_format, url in (("csv", statement["csvUrl"]), ("pdf", statement["pdfUrl"])):
                    download(url, worker)  # warm-up
                    runs = [download(url, worker) for _ in range(repeat)]
                    row[file_format] = {
                        "ttfb_ms": sorted(r["ttfb_ms"] for r in runs)[len(runs) // 2],
                        "total_ms": sorted(r["total_ms"] for r in runs)[len(runs) // 2],
                        "bytes": runs[0]["bytes"],
                        "peak_rss_growth_kib": max(r["peak_rss_growth_kib"] for r in runs),
                        "runs": runs,
                    }
                period = StatementPeriod(user=one.user, period_from=period_from, period_to=period_to)
                row["in_process"] = {"csv": heap_peak(statement_csv, period), "pdf": heap_peak(statement_pdf, period)}
                log(json.dumps({k: v for k, v in row.items() if k != "statement"}, default=str)[:400])
                results.append(row)
        finally:
            server.stop()
    return {"sizes": sizes, "repeat": repeat, "gunicorn_workers": 1, "results": results}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="entries in the period, one measurement each")
    parser.add_argument("--repeat", type=int, default=3, help="measured downloads per format and size")
    parser.add_argument("--out", type=Path, default=Path("bench/STATEMENTS.json"))
    args = parser.parse_args()
    report = run(sizes=[int(size) for size in args.sizes.split(",")], repeat=args.repeat)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
