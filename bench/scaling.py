"""The hot-wallet experiment of docs/SCALING.md: one merchant wallet receiving from many payers, split into
1, 4 or 16 sub-wallets, on one PostgreSQL primary (durable), measured with pgbench and the service's own
transfer as SQL (bench/pgbench_transfer.sql, with :hot_receivers sub-wallets).

    .venv/bin/python -m bench.scaling [--duration 10] [--clients 8,32] [--shards 1,4,16]
"""

import argparse
import json
import re
import subprocess
from pathlib import Path

from bench.__main__ import ROOT, log, migrated_database
from scripts import harness

PAYERS = 2_000


def pgbench_hot(pg_url: str, *, clients: int, duration: int, payers: tuple[int, int], hot_first: int, shards: int):
    output = subprocess.run(
        [
            harness.postgres_bin("pgbench"),
            "--no-vacuum",
            "--protocol=prepared",
            f"--client={clients}",
            f"--jobs={min(clients, 2)}",
            f"--time={duration}",
            f"--file={ROOT / 'bench' / 'pgbench_transfer.sql'}",
            f"--define=first_wallet={payers[0]}",
            f"--define=last_wallet={payers[1]}",
            "--define=hot_wallet=0",
            f"--define=hot_receivers={shards}",
            f"--define=hot_receiver_first={hot_first}",
            pg_url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", output).group(1))
    latency = float(re.search(r"latency average = ([\d.]+) ms", output).group(1))
    return {"per_second": round(tps, 1), "latency_avg_ms": latency}


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.scaling", description=__doc__)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--clients", default="8,32")
    parser.add_argument("--shards", default="1,4,16")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "scaling-last.json")
    args = parser.parse_args()
    results = []
    with migrated_database({"REDIS_URL": ""}) as (env, _):
        from bench import fixtures
        from wallet.models import Wallet

        fixtures.create_funded_users(prefix="payer", count=PAYERS, balance_minor=10**12, password="x")
        fixtures.create_funded_users(prefix="merchant", count=16, balance_minor=1, password="x")
        fixtures.install_sql_entry_hash()
        fixtures.vacuum_analyze()
        payer_ids = list(
            Wallet.objects.filter(user__username__startswith="payer").order_by("id").values_list("id", flat=True)
        )
        hot = list(
            Wallet.objects.filter(user__username__startswith="merchant").order_by("id").values_list("id", flat=True)
        )
        for clients in [int(c) for c in args.clients.split(",")]:
            for shards in [int(s) for s in args.shards.split(",")]:
                result = pgbench_hot(
                    env["DATABASE_URL"],
                    clients=clients,
                    duration=args.duration,
                    payers=(payer_ids[0], payer_ids[-1]),
                    hot_first=hot[0],
                    shards=shards,
                )
                results.append({"clients": clients, "shards": shards, **result})
                log(f"hot receiver, {clients} clients, {shards} sub-wallet(s): {result['per_second']}/s")
            spread = pgbench_hot(
                env["DATABASE_URL"],
                clients=clients,
                duration=args.duration,
                payers=(payer_ids[0], payer_ids[len(payer_ids) // 2]),
                hot_first=payer_ids[len(payer_ids) // 2 + 1],
                shards=len(payer_ids) // 2 - 1,
            )
            results.append({"clients": clients, "shards": "spread", **spread})
            log(f"spread receivers, {clients} clients: {spread['per_second']}/s")
        from wallet.ledger_audit import audit_ledger

        report = audit_ledger()
        assert report.ok, report.problems[:5]
    args.out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
