"""The load generator: a separate process of fixed-concurrency GraphQL clients over HTTP (aiohttp, asyncio).

    python -m bench.loadgen SPEC.json OUT.json

SPEC: {"url", "mode": "spread"|"hot"|"reads"|"batch", "concurrency", "duration", "warmup",
       "users": [[username, token], ...], "hot_user": [username, token] | null, "batch_size": 100}

Every client keeps one keep-alive connection and sends its next request as soon
as the last one answers, for `duration` seconds after `warmup`. Transfers carry
real JWTs and a fresh idempotency key each.
"""

import asyncio
import json
import random
import sys
import time
import uuid

import aiohttp

TRANSFER = (
    "mutation Transfer($input: TransferInput!) {"
    " transfer(input: $input) { transaction { id status } wallet { balance } errors { code } } }"
)
BATCH = (
    "mutation Batch($input: TransferBatchInput!) {"
    " transferBatch(input: $input) { transactions { id } wallet { balance } errors { code } } }"
)
READS = (
    "query Reads { wallet { balance transferredToday }"
    " transactions(first: 50) { edges { node { id kind status amount createdAt } } pageInfo { endCursor } } }"
)


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]


def build_request(spec: dict, rng: random.Random) -> tuple[dict, str]:
    users = spec["users"]
    if spec["mode"] == "reads":
        _, token = rng.choice(users)
        return {"query": READS}, token
    if spec["mode"] == "batch":
        (sender, token), *receivers = rng.sample(users, spec["batch_size"] + 1)
        transfers = [{"receiverUsername": name, "amount": "0.01"} for name, _ in receivers]
        return {
            "query": BATCH,
            "variables": {"input": {"transfers": transfers, "idempotencyKey": str(uuid.uuid4())}},
        }, token
    if spec["mode"] == "hot":
        sender, token = spec["hot_user"]
        receiver, _ = rng.choice(users)
    else:
        (sender, token), (receiver, _) = rng.sample(users, 2)
    variables = {"input": {"receiverUsername": receiver, "amount": "0.01", "idempotencyKey": str(uuid.uuid4())}}
    return {"query": TRANSFER, "variables": variables}, token


def succeeded(mode: str, body: dict) -> bool:
    if body.get("errors") or not body.get("data"):
        return False
    if mode == "reads":
        return body["data"]["wallet"] is not None
    if mode == "batch":
        return body["data"]["transferBatch"]["errors"] == []
    return body["data"]["transfer"]["errors"] == []


async def client(spec: dict, seed: int, start: float, stop: float, stats: dict) -> None:
    rng = random.Random(seed)
    connector = aiohttp.TCPConnector(limit=1)  # one keep-alive connection per client
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as http:
        while (now := time.perf_counter()) < stop:
            payload, token = build_request(spec, rng)
            began = time.perf_counter()
            try:
                async with http.post(
                    spec["url"], json=payload, headers={"Authorization": f"Bearer {token}"}
                ) as response:
                    ok = response.status == 200 and succeeded(spec["mode"], await response.json())
            except (TimeoutError, aiohttp.ClientError, ValueError):
                ok = False
            elapsed = time.perf_counter() - began
            if now >= start:
                stats["latencies" if ok else "failures"].append(elapsed)


async def run(spec: dict) -> dict:
    begin = time.perf_counter()
    start = begin + spec.get("warmup", 1.0)
    stop = start + spec["duration"]
    stats: dict = {"latencies": [], "failures": []}
    await asyncio.gather(*(client(spec, seed, start, stop, stats) for seed in range(spec["concurrency"])))
    window = time.perf_counter() - start
    latencies = sorted(stats["latencies"])
    return {
        "mode": spec["mode"],
        "concurrency": spec["concurrency"],
        "duration_s": round(window, 2),
        "completed": len(latencies),
        "failed": len(stats["failures"]),
        "per_second": round(len(latencies) / window, 1),
        "p50_ms": _ms(percentile(latencies, 0.50)),
        "p95_ms": _ms(percentile(latencies, 0.95)),
        "p99_ms": _ms(percentile(latencies, 0.99)),
        "cpu_s": time.process_time(),
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def main() -> None:
    spec_path, out_path = sys.argv[1], sys.argv[2]
    with open(spec_path) as spec_file:
        spec = json.load(spec_file)
    result = asyncio.run(run(spec))
    with open(out_path, "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    main()
