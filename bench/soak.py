"""The soak: a mixed load on a multi-worker server over PostgreSQL for a while, then the books are checked.

    bench/soak                      # 10 minutes, as docs/RELIABILITY.md reports
    bench/soak --duration 20        # the short form CI runs (tests/attacks/test_soak.py)

Transfers (fresh keys), replays of finished transfers, reads, bad inputs and logins, from client threads with
their own users and tokens. At the end: no 500, every replay answered with its original transaction, the
ledger verifies, and each worker's memory at the start and end of the load. Writes a JSON report (--out).
"""

import argparse
import json
import random
import secrets
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import requests

from bench.__main__ import ROOT, Server, log, migrated_database

PASSWORD = "soak-Passw0rd-2026"
USERS = 500
# Logins are rare next to API calls (an access token lasts minutes) and costly by design (PBKDF2).
MIX = {"transfer": 45, "replay": 10, "read": 33, "bad_input": 10, "login": 2}

TRANSFER = """mutation($input: TransferInput!) { transfer(input: $input) {
  transaction { id status } replayed errors { code } } }"""
READ = "{ wallet { balance transferredToday } transactions(first: 20) { edges { node { id amount status } } } }"
LOGIN = "mutation($u: String!, $p: String!) { tokenAuth(username: $u, password: $p) { token errors { code } } }"
BAD_INPUTS = [
    (TRANSFER, {"input": {"receiverUsername": "soak00001", "amount": "1e3", "idempotencyKey": "bad"}}),
    (TRANSFER, {"input": {"receiverUsername": "nobody-at-all", "amount": "1.00", "idempotencyKey": None}}),
    ("{ wallet { balance ", None),
    ("{ walet { id } }", None),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/soak", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=600.0, help="seconds of load (default 600)")
    parser.add_argument("--clients", type=int, default=16, help="client threads (default 16)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "soak-last.json")
    return parser.parse_args()


def worker_rss_mib(server: Server) -> dict[str, float]:
    sizes = {}
    for pid in server.worker_pids():
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            continue
        sizes[pid] = int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]) / 1024
    return sizes


class Client(threading.Thread):
    """One client thread: its own HTTP session, a rotating choice of users, a log of what it saw."""

    def __init__(self, url: str, tokens: dict[str, str], stop_at: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.url, self.tokens, self.stop_at = url, tokens, stop_at
        self.rng = random.Random(seed)
        self.session = requests.Session()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.outcomes: Counter = Counter()
        self.finished: list[tuple[str, dict, str]] = []  # (token, input, transaction id) for replays
        self.problems: list[str] = []

    def post(self, kind: str, query: str, variables: dict | None, token: str | None) -> dict | None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        started = time.perf_counter()
        try:
            response = self.session.post(
                self.url, json={"query": query, "variables": variables}, headers=headers, timeout=30
            )
        except requests.RequestException as exc:
            self.outcomes[f"{kind}:connection_error"] += 1
            self.problems.append(f"{kind}: {type(exc).__name__}")
            return None
        self.latencies[kind].append(time.perf_counter() - started)
        if response.status_code >= 500:
            self.outcomes[f"{kind}:http_{response.status_code}"] += 1
            self.problems.append(f"{kind}: HTTP {response.status_code}")
            return None
        body = response.json()
        for error in body.get("errors") or []:
            self.outcomes[f"{kind}:{error.get('extensions', {}).get('code', 'GRAPHQL_ERROR')}"] += 1
            if error.get("extensions", {}).get("code") == "INTERNAL_SERVER_ERROR":
                self.problems.append(f"{kind}: INTERNAL_SERVER_ERROR")
        return body

    def run(self) -> None:
        kinds, weights = zip(*MIX.items(), strict=True)
        usernames = list(self.tokens)
        while time.time() < self.stop_at:
            kind = self.rng.choices(kinds, weights)[0]
            sender = self.rng.choice(usernames)
            token = self.tokens[sender]
            if kind == "transfer" or (kind == "replay" and not self.finished):
                receiver = self.rng.choice([u for u in self.rng.sample(usernames, 2) if u != sender])
                input_ = {
                    "receiverUsername": receiver,
                    "amount": f"{self.rng.randint(1, 100) / 100:.2f}",
                    "idempotencyKey": secrets.token_hex(8),
                }
                body = self.post("transfer", TRANSFER, {"input": input_}, token)
                payload = (body or {}).get("data") and body["data"]["transfer"]
                if payload:
                    self.outcomes[
                        f"transfer:{payload['transaction']['status'] if payload['transaction'] else 'NONE'}"
                    ] += 1
                    if payload["transaction"]:
                        self.finished.append((token, input_, payload["transaction"]["id"]))
            elif kind == "replay":
                token, input_, transaction_id = self.rng.choice(self.finished)
                body = self.post("replay", TRANSFER, {"input": input_}, token)
                payload = (body or {}).get("data") and body["data"]["transfer"]
                if payload:
                    same = payload["replayed"] and payload["transaction"]["id"] == transaction_id
                    self.outcomes["replay:same_outcome" if same else "replay:DIFFERENT"] += 1
                    if not same:
                        self.problems.append(f"replay of {transaction_id} answered {payload}")
            elif kind == "read":
                self.post("read", READ, None, token)
            elif kind == "bad_input":
                query, variables = self.rng.choice(BAD_INPUTS)
                if variables and variables["input"]["idempotencyKey"] is None:
                    variables = {"input": {**variables["input"], "idempotencyKey": secrets.token_hex(8)}}
                body = self.post("bad_input", query, variables, token)
                payload = (body or {}).get("data") and body["data"].get("transfer")
                if payload:
                    self.outcomes[f"bad_input:{payload['errors'][0]['code'] if payload['errors'] else 'ACCEPTED'}"] += 1
            else:
                body = self.post("login", LOGIN, {"u": sender, "p": PASSWORD}, None)
                payload = (body or {}).get("data") and body["data"]["tokenAuth"]
                if payload:
                    self.outcomes["login:ok" if payload["token"] else f"login:{payload['errors'][0]['code']}"] += 1


def percentile(values: list[float], fraction: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(fraction * len(values)))] if values else 0.0


def soak(args, env) -> dict:
    from graphql_jwt.shortcuts import get_token

    from bench import fixtures
    from wallet.ledger_audit import audit_ledger
    from wallet.models import User

    fixtures.create_funded_users(prefix="soak", count=USERS, balance_minor=100_000_000, password=PASSWORD)
    tokens = {user.username: get_token(user) for user in User.objects.filter(username__startswith="soak")}
    server = Server(env, args.workers)
    try:
        log(f"gunicorn with {args.workers} workers; {args.clients} clients for {args.duration:.0f} s")
        time.sleep(1)
        stop_at = time.time() + args.duration
        shares = list(tokens.items())
        clients = [Client(server.url, dict(shares[i :: args.clients]), stop_at, seed=i) for i in range(args.clients)]
        for client in clients:
            client.start()
        memory = []
        warm = time.time() + min(10.0, args.duration / 4)
        while any(client.is_alive() for client in clients):
            time.sleep(1)
            if time.time() >= warm:
                memory.append(
                    {"t": round(time.time() - (stop_at - args.duration), 1), "rss_mib": worker_rss_mib(server)}
                )
                warm = time.time() + max(5.0, args.duration / 20)
        memory.append({"t": args.duration, "rss_mib": worker_rss_mib(server)})
    finally:
        server.stop()

    outcomes, latencies, problems = Counter(), defaultdict(list), []
    for client in clients:
        outcomes.update(client.outcomes)
        problems += client.problems
        for kind, values in client.latencies.items():
            latencies[kind] += values
    every = [value for values in latencies.values() for value in values]
    ledger = audit_ledger()
    first, last = memory[0]["rss_mib"], memory[-1]["rss_mib"]
    return {
        "settings": {
            "duration_s": args.duration,
            "clients": args.clients,
            "workers": args.workers,
            "users": USERS,
            "mix": MIX,
        },
        "requests": len(every),
        "requests_per_s": round(len(every) / args.duration, 1),
        "outcomes": dict(sorted(outcomes.items())),
        "http_5xx": sum(count for key, count in outcomes.items() if ":http_5" in key),
        "internal_errors": sum(count for key, count in outcomes.items() if key.endswith("INTERNAL_SERVER_ERROR")),
        "latency_ms": {
            kind: {"p50": round(statistics.median(values) * 1000, 1), "p99": round(percentile(values, 0.99) * 1000, 1)}
            for kind, values in sorted(latencies.items())
        }
        | {"all": {"p50": round(statistics.median(every) * 1000, 1), "p99": round(percentile(every, 0.99) * 1000, 1)}},
        "worker_rss_mib": {
            "start": round(sum(first.values()) / len(first), 1),
            "end": round(sum(last.values()) / len(last), 1),
            "samples": [
                {"t": sample["t"], "mean": round(sum(sample["rss_mib"].values()) / max(1, len(sample["rss_mib"])), 1)}
                for sample in memory
            ],
        },
        "ledger": {
            "ok": ledger.ok,
            "entries": ledger.entry_count,
            "transactions": ledger.transaction_count,
            "problems": ledger.problems[:20],
        },
        "problems": problems[:50],
    }


def main() -> None:
    args = parse_args()
    env_overrides = {
        "DJANGO_DEBUG": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "JWT_ACCESS_TOKEN_SECONDS": str(int(args.duration) + 600),
        "LOG_LEVEL": "ERROR",
        "EVENTS_IN_PROCESS": "false",
        "REDIS_URL": "",
        # One load generator stands for many clients: the per-address login limit would refuse it as one.
        "LOGIN_RATE_PER_ADDRESS": "1000000/m",
    }
    with migrated_database(env_overrides) as (env, _):
        report = soak(args, env)
    args.out.write_text(json.dumps(report, indent=2))
    print(json.dumps({key: report[key] for key in report if key not in ("problems",)}, indent=2))
    log(f"report written to {args.out}")
    healthy = (
        report["http_5xx"] == 0 and report["internal_errors"] == 0 and report["ledger"]["ok"] and not report["problems"]
    )
    sys.exit(0 if healthy else 1)


if __name__ == "__main__":
    main()
