"""The lookups scenario: `transactions(reference:)` and `transactions(metadataKey:, metadataValue:)` as the ledger
grows (bench/run --scenarios lookups; the ledger sizes are --scale).

The population (bench/fixtures.py, `seed_tagged` and `grow_tagged`): a merchant, the measured user, whose server
tags each movement with a reference and metadata: it has initiated 1,000 transfers (its orders 1001-2000) and
received 1,000 (its customers' first orders), 2,000 movements at every ledger size. The other users
(max(500, entries / 200): 500 at 10,000 entries, 5,000 at 1,000,000) pay each other, every transfer tagged with
its initiator's next order: reference INV-<order>, metadata {"order_id": "<order>", "channel": web/app/pos}. Every
user numbers its orders from 1001, as shops do, so the merchant's order 1020 is unique to it at 10,000 entries and
shared with every other user at 1,000,000.

Measured at each size, as the merchant, over HTTP against gunicorn (one client, requests in turn), each query
`REQUESTS` times in blocks of `BLOCK` (the blocks of the queries alternate, so drift touches them alike):

  reference  transactions(reference: "INV-1020", first: 20)                     one movement
  metadata   transactions(metadataKey: "order_id", metadataValue: "1020")       one movement
  nothing    transactions(metadataKey: "order_id", metadataValue: "no-such")    none
  common     transactions(metadataKey: "channel", metadataValue: "web")         a full page (a third of all)

and the CPU of the web and PostgreSQL process trees per request, and, in this process, the SQL the query runs
(Django's test client, the same code and settings), each statement under EXPLAIN (ANALYZE, BUFFERS).
"""

import json
import statistics
import time

from bench import cpu

PREFIX = "tag"
OTHERS_AT_LEAST = 500
OWN_ORDERS = 1000
REQUESTS = 200
BLOCK = 50
WARMUP = 10
EXPLAIN_RUNS = 5
PAGE = 20

DOCUMENT = (
    "query Lookup($reference: String, $key: String, $value: String) {"
    f" transactions(first: {PAGE}, reference: $reference, metadataKey: $key, metadataValue: $value) {{"
    " edges { cursor node { id kind status amount reference metadata createdAt"
    " sender { username } receiver { username } } } pageInfo { hasNextPage endCursor } } }"
)
QUERIES = {
    "reference": ({"reference": "INV-1020"}, 1),
    "metadata": ({"key": "order_id", "value": "1020"}, 1),
    "nothing": ({"key": "order_id", "value": "no-such-order"}, 0),
    "common": ({"key": "channel", "value": "web"}, PAGE),
}


def users_at(entries: int) -> int:
    """The tagged population at a ledger size: the merchant and its other users."""
    return 1 + max(OTHERS_AT_LEAST, entries // 200)


def seed(password: str) -> None:
    from bench import fixtures

    fixtures.seed_tagged(prefix=PREFIX, others=OTHERS_AT_LEAST, own=OWN_ORDERS, password=password)


def grow(entries: int, password: str) -> None:
    from bench import fixtures

    fixtures.grow_tagged(prefix=PREFIX, users=users_at(entries), total_entries=entries, password=password)


def merchant():
    from wallet.models import User

    return User.objects.select_related("wallet").get(username=f"{PREFIX}00001")


def _body(name: str) -> dict:
    variables, _ = QUERIES[name]
    return {"query": DOCUMENT, "variables": variables}


def _check(name: str, body: dict) -> None:
    edges = body["data"]["transactions"]["edges"]
    assert len(edges) == QUERIES[name][1], (name, body)


def measure(url: str, groups: cpu.Groups) -> dict:
    """The four lookups as the merchant at the ledger's present size."""
    import httpx
    from graphql_jwt.shortcuts import get_token

    from wallet.models import LedgerEntry, Transaction, TransactionParty

    user = merchant()
    token = get_token(user)
    samples: dict[str, list[float]] = {name: [] for name in QUERIES}
    spent: dict[str, dict[str, float]] = {name: {group: 0.0 for group in groups} for name in QUERIES}
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {token}"}) as http:
        for name in QUERIES:  # warm the workers' caches (parsed documents, connections) and the server's pages
            for _ in range(WARMUP):
                _check(name, http.post(url, json=_body(name)).json())
        for _ in range(REQUESTS // BLOCK):
            for name in QUERIES:
                body = _body(name)
                before = cpu.sample(groups)
                for _ in range(BLOCK):
                    began = time.perf_counter()
                    answer = http.post(url, json=body).json()
                    samples[name].append((time.perf_counter() - began) * 1000)
                    _check(name, answer)
                for group, seconds in cpu.used(before, cpu.sample(groups)).items():
                    spent[name][group] += seconds
    results = {}
    for name, values in samples.items():
        values.sort()
        results[name] = {
            "requests": len(values),
            "p50_ms": round(statistics.median(values), 2),
            "p95_ms": round(_percentile(values, 0.95), 2),
            "p99_ms": round(_percentile(values, 0.99), 2),
            "per_second": round(1000 * len(values) / sum(values), 1),  # one client, requests in turn
            "cpu_ms_per_request": {group: round(1000 * s / len(values), 3) for group, s in spent[name].items()},
            "sql": explain(name, token),
        }
    row = {
        "ledger_entries": LedgerEntry.objects.count(),
        "transactions": Transaction.objects.count(),
        "tagged_users": _tagged_users(),
        "merchant_movements": TransactionParty.objects.filter(wallet=user.wallet).count(),
        "indexes": _indexes(),
        "gin_pending_pages": _gin_pending_pages(),
        "queries": results,
    }
    row["before_autovacuum"] = before_autovacuum(token, row["transactions"])
    return row


def before_autovacuum(token: str, transactions: int) -> dict:
    """The lookups' SQL again once as many tagged transfers were inserted since the vacuum as make autovacuum
    analyse the table again (autovacuum_analyze_threshold + autovacuum_analyze_scale_factor x its rows, PostgreSQL's
    defaults; before the vacuum it would make at twice that), which also empties the GIN indexes' pending lists: the
    most that a pending list holds under steady inserts at this size, up to its 4 MB (gin_pending_list_limit). The
    transfers are the other users' (the merchant's answers do not change) and stay in the ledger."""
    from django.db import connection, transaction

    from bench import fixtures

    inserted = 50 + int(0.1 * transactions)
    with transaction.atomic(), connection.cursor() as cursor:
        fixtures.tagged_transfers(cursor, prefix=PREFIX, count=inserted, to_merchant=False)
    return {
        "inserted": inserted,
        "gin_pending_pages": _gin_pending_pages(),
        "sql_ms": {name: round(sum(s["execution_ms"] for s in explain(name, token)), 3) for name in QUERIES},
    }


def _indexes() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'wallet_transaction' ORDER BY 1")
        return [name for (name,) in cursor.fetchall()]


def _tagged_users() -> int:
    from wallet.models import Wallet

    return Wallet.objects.filter(user__username__startswith=PREFIX).count()


def _gin_pending_pages() -> dict[str, int]:
    """Pages in the pending list (GIN's fastupdate) of each GIN index of the transactions: every search of the index
    reads its pending list in full."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple")
        cursor.execute(
            "SELECT c.relname, (pgstatginindex(c.oid)).pending_pages FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
            " WHERE i.indrelid = 'wallet_transaction'::regclass AND a.amname = 'gin' ORDER BY 1"
        )
        return dict(cursor.fetchall())


def _percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def captured_sql(name: str, token: str) -> list[str]:
    """The statements the lookup runs, as the service runs them: the request through Django's test client in this
    process (same code, same settings), its queries captured, with their parameters bound."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            "/graphql/", data=json.dumps(_body(name)), content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )  # fmt: skip
    _check(name, response.json())
    return [query["sql"] for query in captured.captured_queries if "wallet_transaction" in query["sql"]]


def explain(name: str, token: str) -> list[dict]:
    """Each statement of the lookup under EXPLAIN (ANALYZE, BUFFERS), run EXPLAIN_RUNS times: the median execution
    and planning times, the buffers and plan of the last run."""
    from django.db import connection

    statements = []
    for sql in captured_sql(name, token):
        runs = []
        with connection.cursor() as cursor:
            for _ in range(EXPLAIN_RUNS):
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
                runs.append(_json(cursor.fetchone()[0])[0])
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")
            text = "\n".join(row[0] for row in cursor.fetchall())
        last = runs[-1]["Plan"]
        statements.append(
            {
                "sql": sql,
                "execution_ms": round(statistics.median(run["Execution Time"] for run in runs), 3),
                "planning_ms": round(statistics.median(run["Planning Time"] for run in runs), 3),
                "shared_buffers": last.get("Shared Hit Blocks", 0) + last.get("Shared Read Blocks", 0),
                "scans": summarise(last),
                "plan": text,
            }
        )
    return statements


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def summarise(plan: dict) -> list[str]:
    """The plan's scans, in order: "Index Scan wallet_transaction using txn_reference: 5001 rows x 1"."""
    found = []

    def walk(node: dict) -> None:
        if "Scan" in node["Node Type"]:
            where = node.get("Relation Name") or ""
            index = f" using {node['Index Name']}" if node.get("Index Name") else ""
            rows, loops = node.get("Actual Rows"), node.get("Actual Loops")
            found.append(f"{node['Node Type']} {where}{index}: {rows} rows x {loops}")
        for child in node.get("Plans", []):
            walk(child)

    walk(plan)
    return found
