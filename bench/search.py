"""The search scenario: `transactions` under each search filter (createdFrom/createdTo, minAmount/maxAmount,
counterparty, direction, noteContains) and one combination, first page and fifth page, as the ledger grows
(bench/run --scenarios search; the ledger sizes are --scale).

The population (bench/fixtures.py, `seed_searched`, then `grow_tagged` for everyone else): the measured user
`srch00001` has 2,000 movements at every ledger size, alternately sent and received, spread over 400 days, amounts
1.00-999.00, notes cycling through "Rent for the flat", "Coffee", "Invoice 42" and "Groceries"; 400 of them are
with `srch00002`, the searched counterparty. The other users (max(500, entries / 200)) pay each other, the
counterparty among them, so its own movements grow with the ledger (10 or so at 10,000 entries, 200 at 1,000,000)
while the measured user's stay the same.

Measured at each size, as the measured user, over HTTP against gunicorn (one client, requests in turn), each query
`REQUESTS` times in blocks of `BLOCK` (the blocks of the queries alternate), `first: 20`; "page5" is the fifth
page, through the `after` cursor of the fourth:

  date          createdFrom, createdTo: the middle half of the 400 days         about 1,000 matches
  amount        minAmount 100.00, maxAmount 299.00                               about 400
  counterparty  counterparty srch00002                                           400
  direction     direction IN                                                     1,000
  note          noteContains "rent"                                              500
  combined      direction OUT, noteContains "invoice", minAmount 500.00, createdFrom (the last three quarters)
  nothing       noteContains "no such note": no match, so the first page reads the whole history (the worst case)

and the CPU of the web and PostgreSQL process trees per request, and the SQL of each, captured in this process
(Django's test client, the same code and settings) and run under EXPLAIN (ANALYZE, BUFFERS).
"""

import json
import statistics
import time

from bench import cpu
from bench.lookups import _json, _percentile, summarise

PREFIX = "srch"
OTHERS_AT_LEAST = 500
OWN_MOVEMENTS = 2000
REQUESTS = 100
BLOCK = 25
WARMUP = 5
EXPLAIN_RUNS = 5
PAGE = 20
DEEP_PAGE = 5

DOCUMENT = (
    "query Search($after: String, $from: DateTime, $to: DateTime, $min: Decimal, $max: Decimal,"
    " $counterparty: String, $direction: TransactionDirection, $note: String) {"
    f" transactions(first: {PAGE}, after: $after, createdFrom: $from, createdTo: $to, minAmount: $min,"
    " maxAmount: $max, counterparty: $counterparty, direction: $direction, noteContains: $note) {"
    " edges { cursor node { id kind status amount note createdAt sender { username } receiver { username } } }"
    " pageInfo { hasNextPage endCursor } } }"
)


def filters(window: tuple[str, str, str]) -> dict[str, dict]:
    """The filters' variables; `window`: the times a quarter, half and three quarters into the user's history."""
    quarter, _, three_quarters = window
    return {
        "date": {"from": quarter, "to": three_quarters},
        "amount": {"min": "100.00", "max": "299.00"},
        "counterparty": {"counterparty": f"{PREFIX}00002"},
        "direction": {"direction": "IN"},
        "note": {"note": "rent"},
        "combined": {"direction": "OUT", "note": "invoice", "min": "500.00", "from": quarter},
        "nothing": {"note": "no such note"},
    }


def users_at(entries: int) -> int:
    return 1 + max(OTHERS_AT_LEAST, entries // 200)


def seed(password: str) -> None:
    from bench import fixtures

    fixtures.seed_searched(prefix=PREFIX, others=OTHERS_AT_LEAST, own=OWN_MOVEMENTS, password=password)


def grow(entries: int, password: str) -> None:
    from bench import fixtures

    fixtures.grow_tagged(prefix=PREFIX, users=users_at(entries), total_entries=entries, password=password)


def measured_user():
    from wallet.models import User

    return User.objects.select_related("wallet").get(username=f"{PREFIX}00001")


def history_window(user) -> tuple[str, str, str]:
    """The created_at a quarter, half and three quarters of the way through the user's history, ISO 8601."""
    from wallet.models import Transaction

    times = list(
        Transaction.objects.filter(parties__wallet=user.wallet)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    return tuple(times[len(times) * k // 4].isoformat() for k in (1, 2, 3))


def queries(post, window: tuple[str, str, str]) -> dict[str, tuple[dict, int]]:
    """Each filter's first page and, when it has one, its fifth: name -> (variables, rows expected). `post` sends a
    body and returns the JSON answer; the fifth page's cursor is the fourth page's endCursor."""

    def fetch(variables: dict) -> dict:
        return post({"query": DOCUMENT, "variables": variables})["data"]["transactions"]

    found = {}
    for name, variables in filters(window).items():
        page = fetch(variables)
        found[f"{name}/first"] = (variables, len(page["edges"]))
        for _ in range(DEEP_PAGE - 1):
            if not page["pageInfo"]["hasNextPage"]:
                break
            deep = {**variables, "after": page["pageInfo"]["endCursor"]}
            page = fetch(deep)
        else:
            found[f"{name}/page{DEEP_PAGE}"] = (deep, len(page["edges"]))
    return found


def _check(name: str, expected: int, body: dict) -> None:
    assert "errors" not in body, (name, body)
    assert len(body["data"]["transactions"]["edges"]) == expected, (name, expected, body)


def measure(url: str, groups: cpu.Groups) -> dict:
    """Every filter's pages as the measured user at the ledger's present size."""
    import httpx
    from graphql_jwt.shortcuts import get_token

    from wallet.models import LedgerEntry, TransactionParty

    user = measured_user()
    token = get_token(user)
    window = history_window(user)
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {token}"}) as http:
        measured = queries(lambda body: http.post(url, json=body).json(), window)
        samples: dict[str, list[float]] = {name: [] for name in measured}
        spent = {name: {group: 0.0 for group in groups} for name in measured}
        for name, (variables, expected) in measured.items():  # warm the workers and the server's pages
            for _ in range(WARMUP):
                _check(name, expected, http.post(url, json={"query": DOCUMENT, "variables": variables}).json())
        for _ in range(REQUESTS // BLOCK):
            for name, (variables, expected) in measured.items():
                body = {"query": DOCUMENT, "variables": variables}
                before = cpu.sample(groups)
                for _ in range(BLOCK):
                    began = time.perf_counter()
                    answer = http.post(url, json=body).json()
                    samples[name].append((time.perf_counter() - began) * 1000)
                    _check(name, expected, answer)
                for group, seconds in cpu.used(before, cpu.sample(groups)).items():
                    spent[name][group] += seconds
    results = {}
    for name, values in samples.items():
        values.sort()
        variables, expected = measured[name]
        results[name] = {
            "variables": variables,
            "rows": expected,
            "requests": len(values),
            "p50_ms": round(statistics.median(values), 2),
            "p95_ms": round(_percentile(values, 0.95), 2),
            "p99_ms": round(_percentile(values, 0.99), 2),
            "cpu_ms_per_request": {group: round(1000 * s / len(values), 3) for group, s in spent[name].items()},
            "sql": explain(name, variables, expected, token),
        }
    return {
        "ledger_entries": LedgerEntry.objects.count(),
        "users": _population(),
        "measured_movements": TransactionParty.objects.filter(wallet=user.wallet).count(),
        "counterparty_movements": TransactionParty.objects.filter(wallet__user__username=f"{PREFIX}00002").count(),
        "queries": results,
    }


def _population() -> int:
    from wallet.models import Wallet

    return Wallet.objects.filter(user__username__startswith=PREFIX).count()


def captured_sql(name: str, variables: dict, expected: int, token: str) -> list[str]:
    """The statements the query runs, as the service runs them (Django's test client in this process), with their
    parameters bound."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            "/graphql/", data=json.dumps({"query": DOCUMENT, "variables": variables}),
            content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
        )  # fmt: skip
    _check(name, expected, response.json())
    # The page, and the counterparty's wallet (its one lookup); not the viewer's, which authentication reads.
    return [
        query["sql"]
        for query in captured.captured_queries
        if "wallet_transaction" in query["sql"] or ('"wallet_wallet"' in query["sql"] and "LOWER(" in query["sql"])
    ]


def explain(name: str, variables: dict, expected: int, token: str) -> list[dict]:
    """Each statement under EXPLAIN (ANALYZE, BUFFERS), EXPLAIN_RUNS times: the median execution and planning
    times, the buffers and plan of the last run."""
    from django.db import connection

    statements = []
    for sql in captured_sql(name, variables, expected, token):
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
