"""Entry point of the benchmark: `bench/run` (see docs/OPERATIONS.md). Starts everything, measures, stops everything.

Scenarios (--scenarios picks a subset; each load scenario runs at every --clients level):
  history    history latency as the ledger grows (--scale ledger sizes)
  lookups    transactions(reference:) and transactions(metadataKey:, metadataValue:) latency as the ledger grows
             (--scale ledger sizes; a merchant's 2,000 tagged movements among everyone's: bench/lookups.py)
  search     transactions under each search filter (dates, amounts, counterparty, direction, note) and one
             combination, first and fifth page, as the ledger grows (--scale ledger sizes; a user's 2,000
             movements among everyone's: bench/search.py)
  spread     transfers between random pairs of --wallets users, against pgbench's spread limit
  hot        transfers from random users to one merchant, against pgbench's hot-wallet limit
  add_money  top-ups of random users, against the spread transfer rate
  batch      transferBatch of 100 transfers, in transfers/s against pgbench's single-transfer limit
  reads      the viewer's wallet and first 50 transactions
  mixed      reads as above while spread transfers run at 8 clients alongside (how bench/run measured reads
             before the posting engine: its "today" for the reads target)
  pipeline   spread transfers at --pipeline-clients with Redis, the relay, the consumers and the Celery worker
             running, until every event is published and consumed and every requested receipt rendered
The load is wrk with bench/load.lua (bench/wrk.py); pgbench runs bench/pgbench_transfer.sql on the same server.
"""

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

from bench import cpu, wrk
from scripts import harness

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PASSWORD = "bench-Passw0rd-2026"
BATCH_SIZE = 100
LOAD_SCENARIOS = ("spread", "hot", "add_money", "batch", "reads", "mixed")
BACKGROUND_TRANSFER_CLIENTS = 8  # the transfers that run alongside the mixed scenario's reads
# Reads at 8 clients with 8 clients' transfers alongside, before the posting engine (bench/RESULTS.md at 4cdcb0c).
READS_BEFORE_PER_SECOND = 90.3
GROWTH_SCENARIOS = ("history", "lookups", "search")  # measured as the ledger grows, before the others
SCENARIOS = (*GROWTH_SCENARIOS, *LOAD_SCENARIOS, "pipeline")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--wallets", type=int, default=10_000, help="customer wallets (at least 101)")
    parser.add_argument("--clients", default="1,8,32", help="concurrency levels (wrk connections)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds measured per point (whole seconds)")
    parser.add_argument(
        "--scale",
        default="10000,100000,1000000",
        help="ledger sizes (entries) for the history, lookups and search timings",
    )
    parser.add_argument("--workers", type=int, default=6, help="gunicorn worker processes")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "last-run.json")
    parser.add_argument(
        "--sql",
        type=Path,
        action="append",
        default=[],
        help="a file of SQL to run on the migrated database before anything is seeded, e.g. an index being tried "
        "before its migration; repeatable",
    )
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"a subset of {','.join(SCENARIOS)}")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of unmeasured load before each point")
    parser.add_argument("--pipeline-clients", type=int, default=8, help="concurrency of the pipeline scenario")
    parser.add_argument(
        "--drain-timeout", type=float, default=300.0, help="seconds the pipeline may take to drain after its load"
    )
    args = parser.parse_args()
    args.scenario_list = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = sorted(set(args.scenario_list) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios {unknown}; choose from {','.join(SCENARIOS)}")
    if args.wallets <= BATCH_SIZE:
        parser.error(f"--wallets must be more than {BATCH_SIZE} (a batch pays {BATCH_SIZE} distinct others)")
    return args


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


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def pgbench(
    pg_url: str,
    *,
    clients: int,
    duration: float,
    wallets: tuple[int, int],
    workdir: Path,
    hot_wallet: int = 0,
    hot_receivers: int = 0,
    hot_receiver_first: int = 0,
    groups: cpu.Groups | None = None,
) -> dict:
    """The limit: the same transfer as plain SQL, same server, same concurrency. `hot_wallet`: every transfer
    debits that wallet; `hot_receivers` > 0: every transfer credits one of that many wallets from
    `hot_receiver_first` (1: one merchant receiving from many payers)."""
    log_dir = workdir / f"pgbench-{clients}-{hot_wallet}-{hot_receivers}-{secrets.token_hex(3)}"
    log_dir.mkdir()
    command = [
        harness.postgres_bin("pgbench"),
        "--no-vacuum",
        "--protocol=prepared",
        f"--client={clients}",
        f"--jobs={min(clients, 2)}",
        f"--time={max(1, round(duration))}",
        f"--file={ROOT / 'bench' / 'pgbench_transfer.sql'}",
        f"--define=first_wallet={wallets[0]}",
        f"--define=last_wallet={wallets[1]}",
        f"--define=hot_wallet={hot_wallet}",
        f"--define=hot_receivers={hot_receivers}",
        f"--define=hot_receiver_first={hot_receiver_first}",
        "--log",
        f"--log-prefix={log_dir / 'tx'}",
        pg_url,
    ]
    before = cpu.sample(groups or {})
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    used = cpu.used(before, cpu.sample(groups or {}))
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", output).group(1))
    latencies = sorted(int(line.split()[2]) / 1000 for path in log_dir.iterdir() for line in path.open())
    return {
        "concurrency": clients,
        "per_second": round(tps, 1),
        "completed": len(latencies),
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "cpu_ms_per_transfer": {
            name: round(1000 * seconds / len(latencies), 3) if latencies else None for name, seconds in used.items()
        },
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


# The service's environment under measurement (bench/statements.py measures with it too).
SERVICE_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    "JWT_ACCESS_TOKEN_SECONDS": "7200",
    "LOG_LEVEL": "WARNING",
    # No Redis for the load scenarios (the pipeline scenario starts its own): events stay in the outbox.
    "REDIS_URL": "",
    "EVENT_TRANSPORT": "log",
    # Event consumers (receipts, real time) run as their own processes in production, not in the API's.
    "EVENTS_IN_PROCESS": "false",
}


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


def run_sql(paths: list[Path]) -> None:
    from django.db import connection

    for path in paths:
        log(f"running {path}")
        with connection.cursor() as cursor:
            cursor.execute(path.read_text())


def main() -> None:
    args = parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    tiers = [int(t) for t in args.scale.split(",")]
    if set(LOAD_SCENARIOS + ("pipeline",)) & set(args.scenario_list):
        wrk.program()  # fail now, not after the seeding, when wrk is missing
    workdir = Path(tempfile.mkdtemp(prefix="wallet-bench-"))
    started = time.time()

    try:
        with migrated_database(SERVICE_ENV) as (env, database):
            run_sql(args.sql)
            report = run_benchmark(args, clients, tiers, workdir, database, env)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report["targets"] = targets(report)
    report["wall_clock_s"] = round(time.time() - started, 1)
    args.out.write_text(json.dumps(report, indent=2))
    print_table(report)
    log(f"report written to {args.out}")


def run_benchmark(args, clients, tiers, workdir, database, env) -> dict:
    from graphql_jwt.shortcuts import get_token

    from bench import fixtures, pipeline
    from wallet.ledger_audit import audit_ledger
    from wallet.models import User, Wallet

    scenarios = args.scenario_list
    report: dict = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "postgres": database.execute("SHOW server_version").decode().strip(),
            "wrk": _wrk_version(),
        },
        "settings": {
            "wallets": args.wallets,
            "duration_s": max(1, round(args.duration)),
            "warmup_s": args.warmup,
            "workers": args.workers,
            "clients": clients,
            "scenarios": scenarios,
            "pipeline_clients": args.pipeline_clients,
            "sql": [str(path) for path in args.sql],
            "load_generator": f"wrk, {wrk.THREADS} thread, bench/load.lua",
        },
    }
    server = Server(env, args.workers)
    groups: cpu.Groups = {"web": lambda: [server.process.pid], "postgres": lambda: [database.postmaster_pid()]}
    users_file = None
    try:
        log(f"gunicorn with {args.workers} workers on {server.url}")
        if set(scenarios) & set(GROWTH_SCENARIOS):
            report.update(measure_growth(server.url, tiers, scenarios, groups))

        if set(scenarios) - set(GROWTH_SCENARIOS):
            log(f"seeding {args.wallets:,} funded wallets and a merchant wallet")
            fixtures.create_funded_users(prefix="user", count=args.wallets, balance_minor=1_000_000, password=PASSWORD)
            fixtures.create_funded_users(prefix="merchant", count=1, balance_minor=1_000_000, password=PASSWORD)
            fixtures.vacuum_analyze()  # so autovacuum of the bulk load does not run during the measurements
            fixtures.install_sql_entry_hash()  # pgbench's plain-SQL transfer seals its entries as the service does
            customers = User.objects.filter(username__startswith="user").order_by("id")
            # Access tokens minted here (JWT_ACCESS_TOKEN_SECONDS outlasts the run); wrk sends them.
            users_file = wrk.write_users(
                workdir / "users.tsv",
                [(name, get_token(User(username=name))) for name in customers.values_list("username", flat=True)],
            )
            merchant = User.objects.get(username__startswith="merchant")
            wallet_ids = list(
                Wallet.objects.filter(user__username__startswith="user").order_by("id").values_list("id", flat=True)
            )
            assert wallet_ids[-1] - wallet_ids[0] + 1 == len(wallet_ids), "seeded wallet ids must be contiguous"
            load = Load(
                args, server.url, groups, users_file, workdir, database,
                wallet_range=(wallet_ids[0], wallet_ids[-1]), merchant=merchant.username,
                merchant_wallet=merchant.wallet.pk,
            )  # fmt: skip
            report.update(load.measure(clients, [name for name in LOAD_SCENARIOS if name in scenarios]))
        report["worker_peak_rss_mib"] = [round(m, 1) for m in server.worker_peak_rss_mib()]
    finally:
        server.stop()

    if "pipeline" in scenarios:
        log("pipeline: starting Redis, gunicorn, the relay, both consumers and the Celery worker")
        report["pipeline"] = pipeline.run(
            env=env, postmaster_pid=database.postmaster_pid, workers=args.workers, users_file=users_file,
            clients=args.pipeline_clients, duration_s=args.duration, warmup_s=args.warmup,
            drain_timeout_s=args.drain_timeout, workdir=workdir, log=log,
        )  # fmt: skip
        result = report["pipeline"]
        # The same ratio against a transfer without the pipeline: inside it, PostgreSQL also serves the relay, the
        # consumers and the worker, which the in-run denominator counts.
        plain = _at(report.get("scenarios", {}).get("spread"), result["concurrency"])
        total = result["cpu_ms_per_transfer"]["total"]
        if plain and total is not None:
            cost = plain["cpu_ms_per_request"]
            result["plain_transfer_web_and_postgres_ms"] = round(cost["web"] + cost["postgres"], 2)
            result["all_over_plain_transfer_web_and_postgres"] = round(total / (cost["web"] + cost["postgres"]), 2)
        log(
            f"pipeline x{result['concurrency']}: {result['transfers']} transfers accepted at "
            f"{result['accepted_per_second']}/s, drained {result['drain_s']} s later: {result['per_second']}/s "
            f"fully processed; CPU all / (web + postgres) = {result['all_over_web_and_postgres']}"
        )

    audit = audit_ledger()
    report["ledger"] = {
        "entries": audit.entry_count,
        "transactions": audit.transaction_count,
        "sum": str(audit.ledger_sum),
        "problems": audit.problems,
    }
    log(f"verify_ledger: {'OK' if audit.ok else audit.problems}")
    return report


def _wrk_version() -> str:
    output = subprocess.run([wrk.program(), "--version"], capture_output=True, text=True).stdout
    return output.splitlines()[0].split(" [")[0] if output else "?"


def measure_growth(url: str, tiers: list[int], scenarios: list[str], groups: cpu.Groups) -> dict:
    """The history, lookups and search timings as the ledger grows to each of `tiers` entries. history: one user's
    history grows with the ledger (all of it, or its share when lookups or search run too: their populations,
    bench/lookups.py and bench/search.py, grow the rest). After each growth the database is vacuumed and analysed,
    as autovacuum would leave it (and so that autovacuum of the bulk load does not run during the measurements)."""
    from graphql_jwt.shortcuts import get_token

    from bench import fixtures, lookups, search
    from schema.pagination import encode_cursor
    from wallet.models import LedgerEntry, TransactionParty, Wallet

    report: dict = {}
    if "history" in scenarios:
        fixtures.create_funded_users(prefix="hist", count=2, balance_minor=10_000, password=PASSWORD)
        one, other = Wallet.objects.filter(user__username__startswith="hist").order_by("id")
        token = get_token(one.user)
        report["history"] = []
    if "lookups" in scenarios:
        lookups.seed(PASSWORD)
        report["lookups"] = []
    if "search" in scenarios:
        search.seed(PASSWORD)
        report["search"] = []
    # The ledger is shared out evenly between the populations that grow it, in this order: each grows the whole
    # ledger to its running total.
    growing = [name for name in ("lookups", "search", "history") if name in scenarios]
    for tier in tiers:
        began = time.monotonic()
        upto = {name: tier * (i + 1) // len(growing) for i, name in enumerate(growing)}
        if "lookups" in scenarios:
            lookups.grow(upto["lookups"], PASSWORD)
        if "search" in scenarios:
            search.grow(upto["search"], PASSWORD)
        if "history" in scenarios:
            fixtures.grow_history(one_wallet=one, other_wallet=other, total_entries=tier)
        fixtures.vacuum_analyze()
        entries = LedgerEntry.objects.count()
        log(f"ledger grown to {entries:,} entries in {time.monotonic() - began:.1f} s (vacuumed and analysed)")
        if "history" in scenarios:
            history = TransactionParty.objects.filter(wallet=one).order_by("transaction_id")
            middle = history.values_list("transaction_id", flat=True)[history.count() // 2]
            timing = time_history(url, token, deep_cursor=encode_cursor(middle))
            report["history"].append({"ledger_entries": entries, **timing})
            log(f"history at {entries:,} entries: {timing}")
        if "lookups" in scenarios:
            row = lookups.measure(url, groups)
            report["lookups"].append(row)
            late = row["before_autovacuum"]
            log(
                f"lookups at {entries:,} entries, {late['inserted']:,} tagged transfers later (GIN pending pages "
                f"{late['gin_pending_pages']}): SQL ms {late['sql_ms']}"
            )
            for name, result in row["queries"].items():
                page = result["sql"][0] if result["sql"] else {}
                log(
                    f"lookups at {entries:,} entries, {name}: p50 {result['p50_ms']} / p95 {result['p95_ms']} / "
                    f"p99 {result['p99_ms']} ms; CPU ms/request web {result['cpu_ms_per_request']['web']}, "
                    f"postgres {result['cpu_ms_per_request']['postgres']}; SQL {page.get('execution_ms')} ms "
                    f"(+{page.get('planning_ms')} planning): {'; '.join(page.get('scans', []))}"
                )
        if "search" in scenarios:
            row = search.measure(url, groups)
            report["search"].append(row)
            for name, result in row["queries"].items():
                log(
                    f"search at {entries:,} entries, {name} ({result['rows']} rows): p50 {result['p50_ms']} / "
                    f"p95 {result['p95_ms']} ms; CPU ms/request web {result['cpu_ms_per_request']['web']}, "
                    f"postgres {result['cpu_ms_per_request']['postgres']}; SQL {_sql_ms(result)} ms: "
                    + " | ".join("; ".join(statement["scans"]) for statement in result["sql"])
                )
    return report


class Load:
    """The load scenarios against one server, each point after a warm-up, with the pgbench limits they compare
    with measured once per concurrency in the same run."""

    def __init__(self, args, url, groups, users_file, workdir, database, *, wallet_range, merchant, merchant_wallet):
        self.args, self.url, self.groups, self.users_file, self.workdir = args, url, groups, users_file, workdir
        self.pg_url = database.url()
        self.wallet_range, self.merchant, self.merchant_wallet = wallet_range, merchant, merchant_wallet
        self.limits: dict[str, dict[int, dict]] = {"spread": {}, "hot": {}}
        self.seed = 0

    def limit(self, kind: str, clients: int) -> dict:
        if clients not in self.limits[kind]:
            hot = {"hot_receivers": 1, "hot_receiver_first": self.merchant_wallet} if kind == "hot" else {}
            result = pgbench(
                self.pg_url, clients=clients, duration=self.args.duration, wallets=self.wallet_range,
                workdir=self.workdir, groups={"postgres": self.groups["postgres"]}, **hot,
            )  # fmt: skip
            self.limits[kind][clients] = result
            log(f"pgbench {kind} x{clients}: {result['per_second']}/s, p99 {result['p99_ms']} ms")
        return self.limits[kind][clients]

    def point(self, mode: str, clients: int) -> dict:
        if mode == "mixed":
            return self.mixed(clients)
        options = {"receiver": self.merchant if mode == "hot" else None, "batch_size": BATCH_SIZE}
        common = {"mode": mode, "connections": clients, "users_file": self.users_file, "workdir": self.workdir}
        self.seed += 2
        if self.args.warmup > 0:
            wrk.run(self.url, duration_s=self.args.warmup, seed=self.seed - 1, **common, **options)
        return wrk.run(self.url, duration_s=self.args.duration, groups=self.groups, seed=self.seed, **common, **options)

    def mixed(self, clients: int) -> dict:
        """Reads at `clients` while spread transfers run at 8 clients for a little longer, so that they overlap
        the whole measured read run; the CPU counted is that of both loads together."""
        import threading

        self.seed += 2
        common = {"users_file": self.users_file, "workdir": self.workdir}
        margin = max(1, self.args.warmup)
        background: dict = {}
        transfers = threading.Thread(
            target=lambda: background.update(
                wrk.run(
                    self.url, mode="spread", connections=BACKGROUND_TRANSFER_CLIENTS,
                    duration_s=self.args.duration + 2 * margin, seed=self.seed - 1, **common,
                )
            )
        )  # fmt: skip
        transfers.start()
        time.sleep(margin)
        result = wrk.run(
            self.url, mode="reads", connections=clients, duration_s=self.args.duration, groups=self.groups,
            seed=self.seed, **common,
        )  # fmt: skip
        transfers.join()
        result["mode"] = "mixed"
        result["background_transfers"] = {
            key: background.get(key) for key in ("per_second", "failed", "p50_ms", "p99_ms", "connections")
        }
        return result

    def measure(self, clients: list[int], modes: list[str]) -> dict:
        results: dict[str, list[dict]] = {mode: [] for mode in modes}
        for concurrency in clients:
            for mode in modes:
                result = self.point(mode, concurrency)
                tail = ""
                if mode in ("spread", "hot"):
                    limit = self.limit(mode, concurrency)["per_second"]
                    result["limit_per_second"] = limit
                    result["percent_of_limit"] = round(100 * result["per_second"] / limit, 1) if limit else None
                    tail = f" = {result['percent_of_limit']}% of pgbench's {limit}/s"
                elif mode == "add_money":
                    spread = _at(results.get("spread", []), concurrency)
                    result["spread_per_second"] = spread and spread["per_second"]
                    result["percent_of_spread"] = (
                        round(100 * result["per_second"] / spread["per_second"], 1)
                        if spread and spread["per_second"]
                        else None
                    )
                    tail = f" = {result['percent_of_spread']}% of spread transfers"
                elif mode == "mixed":
                    tail = f" with {result['background_transfers']['per_second']}/s transfers alongside"
                elif mode == "batch":
                    limit = self.limit("spread", concurrency)["per_second"]
                    result["batch_size"] = BATCH_SIZE
                    result["transfers_per_second"] = round(result["per_second"] * BATCH_SIZE, 1)
                    result["limit_per_second"] = limit
                    result["times_limit"] = round(result["transfers_per_second"] / limit, 2) if limit else None
                    result["cpu_ms_per_transfer"] = {
                        name: None if value is None else round(value / BATCH_SIZE, 4)
                        for name, value in result["cpu_ms_per_request"].items()
                    }
                    tail = (
                        f" ({result['transfers_per_second']} transfers/s = {result['times_limit']}x "
                        f"pgbench's {limit}/s)"
                    )
                results[mode].append(result)
                cost = result["cpu_ms_per_request"]
                log(
                    f"{mode} x{concurrency}: {result['per_second']}/s{tail}, {result['failed']} failed, "
                    f"p99 {result['p99_ms']} ms; CPU ms/request web {cost['web']}, postgres {cost['postgres']}, "
                    f"wrk {cost['loadgen']}"
                )
                if result["errors"]["samples"]:
                    log(f"  first error: {result['errors']['samples'][0][:300]}")
        limits = {kind: [by[c] for c in sorted(by)] for kind, by in self.limits.items() if by}
        return {"scenarios": results, "limit": limits}


def _at(rows: list[dict] | None, concurrency: int) -> dict | None:
    return next((row for row in rows or [] if row["concurrency"] == concurrency), None)


def targets(report: dict) -> dict:
    """The issue's targets (at 8 clients), reported where measured (no run fails on them)."""
    scenarios = report.get("scenarios", {})
    found: dict = {}
    spread, hot = _at(scenarios.get("spread"), 8), _at(scenarios.get("hot"), 8)
    add_money, batch = _at(scenarios.get("add_money"), 8), _at(scenarios.get("batch"), 8)
    if spread:
        found["spread_8_percent_of_limit_at_least_40"] = spread["percent_of_limit"] >= 40
        found["spread_8_p99_under_50_ms"] = spread["p99_ms"] is not None and spread["p99_ms"] < 50
        cost = spread["cpu_ms_per_request"]
        found["spread_8_web_cpu_ms_at_most_2_5"] = cost["web"] is not None and cost["web"] <= 2.5
        found["spread_8_postgres_cpu_ms_at_most_1_5"] = cost["postgres"] is not None and cost["postgres"] <= 1.5
    if hot:
        found["hot_8_percent_of_limit_at_least_50"] = hot["percent_of_limit"] >= 50
    if add_money and add_money["percent_of_spread"] is not None:
        found["add_money_8_at_least_80_percent_of_spread"] = add_money["percent_of_spread"] >= 80
    if batch:
        found["batch_8_transfers_at_least_2x_limit"] = batch["times_limit"] >= 2
    mixed = _at(scenarios.get("mixed"), 8)
    if mixed:
        found["mixed_reads_8_at_least_3x_before"] = mixed["per_second"] >= 3 * READS_BEFORE_PER_SECOND
    history = report.get("history") or []
    if len(history) >= 2:
        flat = {
            page: round(history[-1][page]["p50_ms"] / history[0][page]["p50_ms"], 2)
            for page in ("first_page", "deep_page")
        }
        found["history_largest_over_smallest_p50"] = flat
        found["history_within_1_5x"] = all(ratio <= 1.5 for ratio in flat.values())
    lookups = report.get("lookups") or []
    if len(lookups) >= 2:
        first, last = lookups[0]["queries"], lookups[-1]["queries"]
        flat = {name: round(last[name]["p50_ms"] / first[name]["p50_ms"], 2) for name in last}
        found["lookups_largest_over_smallest_p50"] = flat
        found["lookups_within_1_5x"] = all(ratio <= 1.5 for ratio in flat.values())
        found["lookups_sql_execution_largest_over_smallest"] = {
            name: round(_sql_ms(last[name]) / _sql_ms(first[name]), 2) for name in last
        }
    searches = report.get("search") or []
    if len(searches) >= 2:
        first, last = searches[0]["queries"], searches[-1]["queries"]
        flat = {name: round(last[name]["p50_ms"] / first[name]["p50_ms"], 2) for name in last if name in first}
        found["search_largest_over_smallest_p50"] = flat
        found["search_within_1_5x"] = all(ratio <= 1.5 for ratio in flat.values())
        found["search_sql_execution_largest_over_smallest"] = {
            name: round(_sql_ms(last[name]) / max(_sql_ms(first[name]), 0.001), 2) for name in last if name in first
        }
    pipeline = report.get("pipeline")
    if pipeline and pipeline["all_over_web_and_postgres"] is not None:
        found["pipeline_cpu_all_over_web_and_postgres_at_most_1_5"] = pipeline["all_over_web_and_postgres"] <= 1.5
    return found


def _sql_ms(result: dict, key: str = "execution_ms") -> float:
    return sum(statement[key] for statement in result["sql"])


def print_table(report: dict) -> None:
    scenarios = report.get("scenarios", {})
    print()
    if scenarios:
        print("load (wrk); `vs`: pgbench's limit (spread, hot, batch) or spread transfers (add_money), same clients")
        print(
            f"{'scenario':<10}{'clients':>8}{'ok/s':>9}{'failed':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
            f"  {'vs':<34} CPU ms/request: web / postgres / wrk"
        )
        for mode, results in scenarios.items():
            for result in results:
                if mode in ("spread", "hot"):
                    versus = f"pgbench {result['limit_per_second']}/s: {result['percent_of_limit']}%"
                elif mode == "add_money":
                    versus = f"spread {result['spread_per_second']}/s: {result['percent_of_spread']}%"
                elif mode == "mixed":
                    versus = f"with {result['background_transfers']['per_second']}/s transfers alongside"
                elif mode == "batch":
                    versus = (
                        f"{result['transfers_per_second']:.0f} tr/s; pgbench {result['limit_per_second']}/s: "
                        f"{result['times_limit']}x"
                    )
                else:
                    versus = ""
                cost = result["cpu_ms_per_request"]
                print(
                    f"{mode:<10}{result['concurrency']:>8}{result['per_second']:>9}{result['failed']:>8}"
                    f"{_cell(result['p50_ms'])}{_cell(result['p95_ms'])}{_cell(result['p99_ms'])}  {versus:<34} "
                    f"{cost['web']} / {cost['postgres']} / {cost['loadgen']}"
                )
        print()
    limits = report.get("limit", {})
    if limits:
        print(
            f"{'pgbench':<10}{'clients':>8}{'tps':>9}{'':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
            "  postgres CPU ms/transfer"
        )
        for kind, rows in limits.items():
            for row in rows:
                print(
                    f"{kind:<10}{row['concurrency']:>8}{row['per_second']:>9}{'':>8}{_cell(row['p50_ms'])}"
                    f"{_cell(row['p95_ms'])}{_cell(row['p99_ms'])}  {row['cpu_ms_per_transfer'].get('postgres')}"
                )
        print()
    pipeline = report.get("pipeline")
    if pipeline:
        load = pipeline["load"]
        print(
            f"pipeline: {pipeline['concurrency']} clients for {pipeline['load_s']} s: "
            f"{pipeline['transfers']} transfers accepted at {pipeline['accepted_per_second']}/s "
            f"(p50 {load['p50_ms']} / p99 {load['p99_ms']} ms, {load['failed']} failed)"
        )
        print(
            f"  {'drained' if pipeline['drained'] else 'NOT drained'} {pipeline['drain_s']} s after the load: "
            f"{pipeline['per_second']} transfers/s fully processed; events {pipeline['events']}, "
            f"receipts {pipeline['receipts'] or 'none'}"
        )
        unrequested = pipeline["backlog_at_end"].get("unrequested_receipts")
        if unrequested:
            print(f"  ({unrequested} PENDING receipts were never asked for: rendered on demand, not work left)")
        cost = pipeline["cpu_ms_per_transfer"]
        each = ", ".join(f"{name} {value}" for name, value in pipeline["consumers_cpu_ms_per_transfer"].items())
        print("  CPU ms per transfer: " + ", ".join(f"{name} {value}" for name, value in cost.items()) + f" ({each})")
        print(f"  all processes / (web + postgres): {pipeline['all_over_web_and_postgres']}", end="")
        if "all_over_plain_transfer_web_and_postgres" in pipeline:
            print(
                f"; / (web + postgres of a spread transfer without the pipeline, "
                f"{pipeline['plain_transfer_web_and_postgres_ms']} ms): "
                f"{pipeline['all_over_plain_transfer_web_and_postgres']}",
                end="",
            )
        print()
        print()
    if report.get("history"):
        print("history: transactions(first: 50)   first page p50/p95 ms   deep page p50/p95 ms")
        for entry in report["history"]:
            first, deep = entry["first_page"], entry["deep_page"]
            print(
                f"{entry['ledger_entries']:>12,} entries   {first['p50_ms']:>10} / {first['p95_ms']:<10}"
                f"{deep['p50_ms']:>10} / {deep['p95_ms']}"
            )
        print()
    if report.get("lookups"):
        print(
            "lookups, as a merchant with 2,000 tagged movements, one client: transactions(first: 20, reference: | "
            "metadataKey:, metadataValue:)"
        )
        print(
            f"{'entries':>12} {'query':<10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}"
            f"{'web CPU':>9}{'pg CPU':>8}{'SQL ms':>8}{'plan ms':>8}  scans"
        )
        for entry in report["lookups"]:
            for name, result in entry["queries"].items():
                cost = result["cpu_ms_per_request"]
                statements = result["sql"]
                print(
                    f"{entry['ledger_entries']:>12,} {name:<10}{_cell(result['p50_ms'])}{_cell(result['p95_ms'])}"
                    f"{_cell(result['p99_ms'])}{result['per_second']:>8}{cost['web']:>9}{cost['postgres']:>8}"
                    f"{_sql_ms(result):>8.2f}{_sql_ms(result, 'planning_ms'):>8.2f}"
                    f"  {'; '.join(scan for s in statements for scan in s['scans'] if 'wallet_user' not in scan)}"
                )
            late = entry["before_autovacuum"]
            print(
                f"{'':>12} before autoanalyze (+{late['inserted']:,} tagged transfers; GIN pending pages "
                f"{late['gin_pending_pages']}): SQL ms "
                + ", ".join(f"{name} {ms}" for name, ms in late["sql_ms"].items())
            )
        print()
    if report.get("search"):
        print(
            "search, as a user with 2,000 movements, one client: transactions(first: 20, <filter>), "
            "first and fifth page"
        )
        print(
            f"{'entries':>12} {'query':<20}{'rows':>5}{'p50 ms':>9}{'p95 ms':>9}{'web CPU':>9}{'pg CPU':>8}"
            f"{'SQL ms':>8}  scans"
        )
        for entry in report["search"]:
            for name, result in entry["queries"].items():
                cost = result["cpu_ms_per_request"]
                scans = " | ".join("; ".join(statement["scans"]) for statement in result["sql"])
                print(
                    f"{entry['ledger_entries']:>12,} {name:<20}{result['rows']:>5}{_cell(result['p50_ms'])}"
                    f"{_cell(result['p95_ms'])}{cost['web']:>9}{cost['postgres']:>8}{_sql_ms(result):>8.2f}  {scans}"
                )
        print()
    ledger = report["ledger"]
    print(f"peak RSS per worker (MiB): {report.get('worker_peak_rss_mib')}")
    print(f"ledger: {ledger['entries']:,} entries, sums to {ledger['sum']}, problems: {len(ledger['problems'])}")
    print(f"targets: {json.dumps(report['targets'])}")
    print(f"wall clock: {report['wall_clock_s']} s")


def _cell(value) -> str:
    return f"{'-' if value is None else value:>9}"


if __name__ == "__main__":
    main()
