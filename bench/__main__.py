"""Entry point of the benchmark: `bench/run` (see docs/OPERATIONS.md). Starts everything, measures, stops everything."""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scripts import harness

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PASSWORD = "bench-Passw0rd-2026"
BATCH_SIZE = 100


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    parser.add_argument("--wallets", type=int, default=10_000, help="customer wallets for the spread scenario")
    parser.add_argument("--clients", default="1,8,32", help="concurrency levels")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds measured per point")
    parser.add_argument("--scale", default="10000,100000,1000000", help="ledger sizes (entries) for history timing")
    parser.add_argument("--workers", type=int, default=6, help="gunicorn worker processes")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "last-run.json")
    return parser.parse_args()


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Server:
    """The service under gunicorn, DEBUG off, as production would run it (scripts/harness.py)."""

    def __init__(self, env: dict, workers: int) -> None:
        self.process = harness.gunicorn(env, workers=workers, options=("--backlog=2048",))
        self.url = f"http://127.0.0.1:{self.process.port}/graphql/"

    def worker_pids(self) -> list[str]:
        return [str(pid) for pid in self.process.children()]

    def worker_peak_rss_mib(self) -> list[float]:
        peaks = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024)
        return peaks

    def stop(self) -> None:
        self.process.stop(grace=30)


def cpu_by_pid(pids: list[str]) -> dict[str, float]:
    """User + system CPU seconds of each live process, from /proc."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    return seconds


def cpu_used(before: dict[str, float], after: dict[str, float]) -> float:
    """CPU spent between two samples by the processes alive at the second (new ones count whole)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def postgres_pids(database: harness.Postgres) -> list[str]:
    postmaster = str(database.postmaster_pid())
    return [postmaster, *Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()]


def run_load(spec: dict, workdir: Path) -> subprocess.Popen:
    spec_path = workdir / f"spec-{spec['mode']}-{spec['concurrency']}-{secrets.token_hex(3)}.json"
    spec_path.write_text(json.dumps(spec))
    out_path = spec_path.with_suffix(".out.json")
    process = subprocess.Popen([sys.executable, "-m", "bench.loadgen", str(spec_path), str(out_path)], cwd=ROOT)
    process.out_path = out_path  # type: ignore[attr-defined]
    return process


def load_result(process: subprocess.Popen) -> dict:
    if process.wait() != 0:
        raise RuntimeError("the load generator failed")
    return json.loads(process.out_path.read_text())  # type: ignore[attr-defined]


def pgbench(pg_url: str, *, clients: int, duration: float, wallets: tuple[int, int], hot_wallet: int, workdir: Path):
    """The limit: the same transfer as plain SQL, same server, same concurrency."""
    log_dir = workdir / f"pgbench-{clients}-{hot_wallet}"
    log_dir.mkdir()
    command = [
        harness.postgres_bin("pgbench"),
        "--no-vacuum",
        "--protocol=prepared",
        f"--client={clients}",
        f"--jobs={min(clients, 2)}",
        f"--time={int(duration)}",
        f"--file={ROOT / 'bench' / 'pgbench_transfer.sql'}",
        f"--define=first_wallet={wallets[0]}",
        f"--define=last_wallet={wallets[1]}",
        f"--define=hot_wallet={hot_wallet}",
        "--define=hot_receivers=0",
        "--define=hot_receiver_first=0",
        "--log",
        f"--log-prefix={log_dir / 'tx'}",
        pg_url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", output).group(1))
    latencies = sorted(int(line.split()[2]) / 1000 for path in log_dir.iterdir() for line in path.open())
    from bench.loadgen import percentile

    return {
        "per_second": round(tps, 1),
        "completed": len(latencies),
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
    }


def time_history(url: str, token: str, *, deep_cursor: str, requests: int = 60) -> dict:
    import httpx

    query = (
        "query History($after: String) { transactions(first: 50, after: $after) {"
        " edges { cursor node { id kind status amount createdAt sender { username } receiver { username } } }"
        " pageInfo { hasNextPage endCursor } } }"
    )
    timings = {}
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {token}"}) as http:
        for name, after in (("first_page", None), ("deep_page", deep_cursor)):
            samples = []
            for _ in range(requests + 5):
                began = time.perf_counter()
                body = http.post(url, json={"query": query, "variables": {"after": after}}).json()
                samples.append((time.perf_counter() - began) * 1000)
                assert len(body["data"]["transactions"]["edges"]) == 50, body
            samples = sorted(samples[5:])  # the first few warm caches
            timings[name] = {
                "p50_ms": round(statistics.median(samples), 2),
                "p95_ms": round(samples[int(0.95 * len(samples)) - 1], 2),
            }
    return timings


@contextmanager
def migrated_database(env_overrides: dict) -> Iterator[tuple[dict, harness.Postgres]]:
    """A throwaway durable PostgreSQL (fsync and synchronous_commit on), migrated, with Django set up on it in this
    process; yields the environment for the service's processes and the server. Stops it afterwards."""
    log("starting PostgreSQL (fsync and synchronous_commit on)")
    database = harness.postgres(durable=True)
    env = {
        **os.environ,
        "DATABASE_URL": database.url(),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        **env_overrides,
    }
    os.environ.update(env)
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.settings")
        django.setup()
        yield env, database
    finally:
        database.stop()


def main() -> None:
    args = parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    tiers = [int(t) for t in args.scale.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="wallet-bench-"))
    started = time.time()

    env_overrides = {
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "JWT_ACCESS_TOKEN_SECONDS": "7200",
        "LOG_LEVEL": "WARNING",
        # Event consumers (receipts, real time) run as their own processes in production, not in the API's.
        "EVENTS_IN_PROCESS": "false",
    }
    try:
        with migrated_database(env_overrides) as (env, database):
            report = run_benchmark(args, clients, tiers, workdir, env["DATABASE_URL"], database, env)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report["targets"] = targets(report)
    report["wall_clock_s"] = round(time.time() - started, 1)
    args.out.write_text(json.dumps(report, indent=2))
    print_table(report)
    log(f"report written to {args.out}")


def run_benchmark(args, clients, tiers, workdir, pg_url, database, env) -> dict:
    from graphql_jwt.shortcuts import get_token

    from bench import fixtures
    from schema.pagination import encode_cursor
    from wallet.ledger_audit import audit_ledger
    from wallet.models import TransactionParty, User, Wallet

    report: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        },
        "settings": {"wallets": args.wallets, "duration_s": args.duration, "workers": args.workers, "clients": clients},
    }
    server = Server(env, args.workers)
    try:
        log(f"gunicorn with {args.workers} workers on {server.url}")

        # History timing as the ledger grows: one user's history grows with it.
        fixtures.create_funded_users(prefix="hist", count=2, balance_minor=10_000, password=PASSWORD)
        one, other = Wallet.objects.filter(user__username__startswith="hist").order_by("id")
        history_token = get_token(one.user)
        report["history"] = []
        for tier in tiers:
            fixtures.grow_history(one_wallet=one, other_wallet=other, total_entries=tier)
            rows = TransactionParty.objects.filter(wallet=one).order_by("transaction_id")
            middle = rows.values_list("transaction_id", flat=True)[rows.count() // 2]
            timing = time_history(server.url, history_token, deep_cursor=encode_cursor(middle))
            from wallet.models import LedgerEntry

            entries = LedgerEntry.objects.count()
            report["history"].append({"ledger_entries": entries, **timing})
            log(f"history at {entries:,} entries: {timing}")

        log(f"seeding {args.wallets:,} funded wallets and a hot merchant wallet")
        fixtures.create_funded_users(prefix="user", count=args.wallets, balance_minor=1_000_000, password=PASSWORD)
        fixtures.create_funded_users(prefix="merchant", count=1, balance_minor=10**12, password=PASSWORD)
        fixtures.vacuum_analyze()  # so autovacuum of the bulk load does not run during the measurements
        fixtures.install_sql_entry_hash()  # pgbench's plain-SQL transfer seals its entries as the service does
        customers = list(
            User.objects.filter(username__startswith="user").order_by("id").values_list("username", flat=True)
        )
        users = [[name, get_token(User(username=name))] for name in customers]
        merchant = User.objects.get(username__startswith="merchant")
        hot_user = [merchant.username, get_token(merchant)]
        wallet_ids = list(
            Wallet.objects.filter(user__username__startswith="user").order_by("id").values_list("id", flat=True)
        )
        assert wallet_ids[-1] - wallet_ids[0] + 1 == len(wallet_ids), "seeded wallet ids must be contiguous"
        wallet_range = (wallet_ids[0], wallet_ids[-1])

        def spec(mode: str, concurrency: int) -> dict:
            return {
                "url": server.url,
                "mode": mode,
                "concurrency": concurrency,
                "duration": args.duration,
                "warmup": 1.0,
                "users": users,
                "hot_user": hot_user,
            }

        report["scenarios"] = {"spread": [], "hot": [], "reads": [], "batch": []}
        report["limit"] = {"spread": [], "hot": []}
        for concurrency in clients:
            for mode, hot_wallet in (("spread", 0), ("hot", merchant.wallet.pk)):
                server_cpu, database_cpu = cpu_by_pid(server.worker_pids()), cpu_by_pid(postgres_pids(database))
                result = load_result(run_load(spec(mode, concurrency), workdir))
                # Where the two cores went, per transfer (including the warm-up's share).
                done = result["completed"] * (1 + 1 / args.duration)
                server_used = cpu_used(server_cpu, cpu_by_pid(server.worker_pids()))
                database_used = cpu_used(database_cpu, cpu_by_pid(postgres_pids(database)))
                result["cpu_ms_per_transfer"] = {
                    "server": round(1000 * server_used / done, 2),
                    "postgres": round(1000 * database_used / done, 2),
                    "load_generator": round(1000 * result.pop("cpu_s") / done, 2),
                }
                report["scenarios"][mode].append(result)
                limit = pgbench(
                    pg_url,
                    clients=concurrency,
                    duration=args.duration,
                    wallets=wallet_range,
                    hot_wallet=hot_wallet,
                    workdir=workdir,
                )
                limit["concurrency"] = concurrency
                report["limit"][mode].append(limit)
                result["percent_of_limit"] = round(100 * result["per_second"] / limit["per_second"], 1)
                log(f"{mode} x{concurrency}: {result['per_second']}/s, p99 {result['p99_ms']} ms")
                log(f"pgbench {mode} x{concurrency}: {limit['per_second']}/s")

            if concurrency <= 8:
                # Batches of 100 transfers: past the one-commit-per-transfer limit.
                batch = load_result(run_load({**spec("batch", concurrency), "batch_size": BATCH_SIZE}, workdir))
                batch["transfers_per_second"] = round(batch["per_second"] * BATCH_SIZE, 1)
                single = report["scenarios"]["spread"][-1]["per_second"]
                batch["times_single_transfers"] = round(batch["transfers_per_second"] / single, 1)
                report["scenarios"]["batch"].append(batch)
                log(f"batch of {BATCH_SIZE} x{concurrency}: {batch['transfers_per_second']} transfers/s")

            background = run_load(spec("spread", 8), workdir)
            reads = load_result(run_load(spec("reads", concurrency), workdir))
            reads["background_transfers"] = load_result(background)
            report["scenarios"]["reads"].append(reads)
            log(f"reads x{concurrency}: {reads['per_second']}/s p99 {reads['p99_ms']} ms")

        report["worker_peak_rss_mib"] = [round(m, 1) for m in server.worker_peak_rss_mib()]
        audit = audit_ledger()
        report["ledger"] = {
            "entries": audit.entry_count,
            "transactions": audit.transaction_count,
            "sum": str(audit.ledger_sum),
            "problems": audit.problems,
        }
        log(f"verify_ledger: {'OK' if audit.ok else audit.problems}")
    finally:
        server.stop()
    return report


def targets(report: dict) -> dict:
    """The issue's targets, reported (no run fails on them)."""

    def at(rows: list[dict], concurrency: int) -> dict | None:
        return next((row for row in rows if row["concurrency"] == concurrency), None)

    spread, hot = at(report["scenarios"]["spread"], 8), at(report["scenarios"]["hot"], 8)
    history = report["history"]
    flat = {
        page: round(history[-1][page]["p50_ms"] / history[0][page]["p50_ms"], 2) for page in ("first_page", "deep_page")
    }
    return {
        "spread_8_percent_of_limit_at_least_50": spread and spread["percent_of_limit"] >= 50,
        "spread_8_p99_under_50_ms": spread and spread["p99_ms"] < 50,
        "hot_8_percent_of_limit_at_least_50": hot and hot["percent_of_limit"] >= 50,
        "history_largest_over_smallest_p50": flat,
        "history_within_1_5x": all(ratio <= 1.5 for ratio in flat.values()),
    }


def print_table(report: dict) -> None:
    def row(name: str, result: dict, tail: str) -> str:
        return (
            f"{name:<8} {result['concurrency']:>7} {result['per_second']:>8} {result['p50_ms']:>8} "
            f"{result['p95_ms']:>8} {result['p99_ms']:>8}  {tail}"
        )

    print()
    print("scenario clients   per s   p50 ms   p95 ms   p99 ms  pgbench/s (% of it)")
    for mode in ("spread", "hot"):
        for result, limit in zip(report["scenarios"][mode], report["limit"][mode], strict=True):
            print(row(mode, result, f"{limit['per_second']:>9} ({result['percent_of_limit']}%)"))
    for result in report["scenarios"]["batch"]:
        print(
            row(
                "batch",
                result,
                f"{result['transfers_per_second']} transfers/s in batches of {BATCH_SIZE} "
                f"({result['times_single_transfers']}x single transfers)",
            )
        )
    for result in report["scenarios"]["reads"]:
        print(row("reads", result, f"with {result['background_transfers']['per_second']}/s transfers running"))
    print()
    print("CPU ms per transfer (server workers / PostgreSQL / load generator), two cores shared by all three")
    for mode in ("spread", "hot"):
        for result in report["scenarios"][mode]:
            cpu = result["cpu_ms_per_transfer"]
            print(
                f"{mode:<8} {result['concurrency']:>7}   {cpu['server']} / {cpu['postgres']} / {cpu['load_generator']}"
            )
    print()
    print("history: transactions(first: 50)   first page p50/p95 ms   deep page p50/p95 ms")
    for entry in report["history"]:
        first, deep = entry["first_page"], entry["deep_page"]
        print(
            f"{entry['ledger_entries']:>12,} entries   {first['p50_ms']:>10} / {first['p95_ms']:<10}"
            f"{deep['p50_ms']:>10} / {deep['p95_ms']}"
        )
    print()
    ledger = report["ledger"]
    print(f"peak RSS per worker (MiB): {report['worker_peak_rss_mib']}")
    print(f"ledger: {ledger['entries']:,} entries, sums to {ledger['sum']}, problems: {len(ledger['problems'])}")
    print(f"targets: {json.dumps(report['targets'])}")
    print(f"wall clock: {report['wall_clock_s']} s")


if __name__ == "__main__":
    main()
