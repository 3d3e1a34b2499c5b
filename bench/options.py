"""What one transfer costs each way the posting engine could be built: the client CPU, the server's CPU and the round
trips of one transfer, without HTTP, one client, on a throwaway durable PostgreSQL.

    .venv/bin/python -m bench.options [--transfers 2000] [--orm-tree DIR]

- `function`: today's engine, one call of wallet_post (wallet/services/posting.py via transfer_create);
- `raw-sql`: the same transfer as the minimal raw SQL sequence (bench/pgbench_transfer.sql's statements, sent one
  by one from psycopg2 between BEGIN and COMMIT);
- `orm`: the ORM engine before it, from a checkout of an older commit (`git worktree add DIR 4cdcb0c`), when
  `--orm-tree` names one.

The server's CPU is its backend process's (utime + stime from /proc), so only this client's work counts.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def backend_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker(option: str, transfers: int) -> dict:
    """Runs inside the tree being measured, with DATABASE_URL set: seeds, warms up, measures."""
    import uuid
    from decimal import Decimal

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", "--noinput", verbosity=0)
    from wallet.services import money_add, transfer_create, user_register

    users = [user_register(username=f"o{i}", password="s3cure-Passw0rd-x") for i in range(20)]
    for user in users:
        money_add(user=user, amount=Decimal("100000.00"), idempotency_key=f"fund-{user.pk}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()

    if option == "raw-sql":
        from bench import fixtures

        fixtures.install_sql_entry_hash()
        script = (ROOT / "bench" / "pgbench_transfer.sql").read_text()
        # A statement ends at ";" or at pgbench's \gset (which also keeps its result's columns as variables).
        chunks = re.split(r";|\\gset", script)
        statements = [_sql(chunk) for chunk in chunks if re.search(r"\b(INSERT|UPDATE|SELECT)\b", chunk)]
        wallets = [user.wallet.pk for user in users]
        raw = connection.connection
        raw.autocommit = True

        def one(i: int) -> None:
            payer, receiver = wallets[i % 20], wallets[(i + 1) % 20]
            values = {"payer": payer, "receiver": receiver, "low": min(payer, receiver), "high": max(payer, receiver)}
            with raw.cursor() as cursor:
                cursor.execute("BEGIN")
                for statement in statements:
                    cursor.execute(statement, values)
                    if cursor.description:
                        values.update(zip([c.name for c in cursor.description], cursor.fetchone(), strict=True))
                cursor.execute("COMMIT")

        trips = 2 + len(statements)
    else:

        def one(i: int) -> None:
            result = transfer_create(
                sender=users[i % 20],
                receiver_username=users[(i + 1) % 20].username,
                amount=Decimal("1.00"),
                idempotency_key=str(uuid.uuid4()),
            )
            assert result.transaction.status == "SUCCESS"

        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            one(0)
        trips = len(captured.captured_queries) + sum(
            q["sql"].startswith(("SAVEPOINT", "RELEASE")) for q in captured.captured_queries
        )
        trips += 2 if option == "orm" else 0  # BEGIN and COMMIT, which psycopg2 sends around an atomic block

    for i in range(200):
        one(i)
    client, server = time.process_time(), backend_cpu(backend)
    started = time.perf_counter()
    for i in range(transfers):
        one(i)
    elapsed = time.perf_counter() - started
    return {
        "option": option,
        "transfers": transfers,
        "client_cpu_ms": round((time.process_time() - client) / transfers * 1000, 3),
        "server_cpu_ms": round((backend_cpu(backend) - server) / transfers * 1000, 3),
        "round_trips": trips,
        "per_second_one_client": round(transfers / elapsed, 1),
    }


def _sql(statement: str) -> str:
    """A pgbench statement as a psycopg2 one: :name becomes %(name)s, \\gset goes."""
    statement = "\n".join(line for line in statement.splitlines() if not line.strip().startswith(("--", "\\")))
    statement = statement.replace("\\gset", "").replace("BEGIN", "").replace("COMMIT", "").strip()
    return re.sub(r":([a-z_]+)", r"%(\1)s", statement.replace("::", "§")).replace("§", "::")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2], int(sys.argv[3]))))
        return
    parser = argparse.ArgumentParser(prog="bench.options", description=__doc__)
    parser.add_argument("--transfers", type=int, default=2000)
    parser.add_argument("--orm-tree", type=Path, help="a checkout of the ORM engine (e.g. commit 4cdcb0c)")
    args = parser.parse_args()
    from scripts import harness

    database = harness.postgres(durable=True)
    results = []
    try:
        options = [("function", ROOT), ("raw-sql", ROOT)] + ([("orm", args.orm_tree)] if args.orm_tree else [])
        for option, tree in options:
            name = option.replace("-", "_")
            database.execute(f"CREATE DATABASE {name}")
            env = {
                **os.environ,
                "DATABASE_URL": database.url(name),
                "DJANGO_SETTINGS_MODULE": "server.settings",
                "PYTHONPATH": str(tree),
                "EVENTS_IN_PROCESS": "false",
                "REDIS_URL": "",
                "LOG_LEVEL": "WARNING",
            }
            done = subprocess.run(
                [sys.executable, str(Path(__file__).resolve()), "--worker", option, str(args.transfers)],
                cwd=tree,
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise RuntimeError(f"{option}: {done.stderr[-3000:]}")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), flush=True)
    finally:
        database.stop()


if __name__ == "__main__":
    main()
