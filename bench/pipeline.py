"""The pipeline scenario: transfers with everything production runs behind them, measured until fully processed.

Redis, the service under gunicorn, the outbox relay (`manage.py relay_events`), the two event consumers
(`manage.py consume_events --consumer receipts` and `--consumer realtime`) and the Celery worker (`celery --app
server worker --concurrency 2`) run as in the Procfile / docker-compose.yml, with REDIS_URL set, EVENT_TRANSPORT
redis and EVENTS_IN_PROCESS false. wrk sends spread transfers for the duration; then we wait until the backlog is
gone: every outbox event published, every consumer group on every event stream caught up (delivered up to the
stream's last entry, nothing pending) and no receipt whose rendering is outstanding: any PENDING receipt, or where
receipts are rendered on demand (wallet_receipt.requested_at) a PENDING one that was requested; receipts prepared
but never asked for are counted apart. The sustained rate is transfers / (load time + drain time), and the CPU of
every process group, from the start of the load to the end of the drain, is divided by the transfers.
"""

import contextlib
import sys
import time
from pathlib import Path

from bench import cpu, wrk
from scripts import harness

CONSUMERS = ("receipts", "realtime")
POLL_S = 0.25


def _counts(since_transaction: int, since_event: int) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'SUCCESS') FROM wallet_transaction WHERE id > %s",
            [since_transaction],
        )
        transactions, succeeded = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM wallet_outboxevent WHERE id > %s", [since_event])
        events = cursor.fetchone()[0]
        receipts: dict[str, int] = {}
        cursor.execute("SELECT to_regclass('wallet_receipt') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute(
                "SELECT status, count(*) FROM wallet_receipt WHERE transaction_id > %s GROUP BY status",
                [since_transaction],
            )
            receipts = dict(cursor.fetchall())
    return {"transactions": transactions, "succeeded": succeeded, "events": events, "receipts": receipts}


def backlog(redis_client) -> dict:
    """What is still to be processed: unpublished outbox rows, stream entries not yet delivered to or not yet
    acknowledged by each consumer group, and receipts whose rendering is outstanding."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM wallet_outboxevent WHERE published_at IS NULL")
        unpublished = cursor.fetchone()[0]
        pending_receipts, unrequested_receipts = _pending_receipts(cursor)
        cursor.execute("SELECT coalesce(max(id), 0) FROM wallet_transaction")
        last_transaction = cursor.fetchone()[0]
    streams, undelivered, unacknowledged, missing_groups = 0, 0, 0, []
    for key in redis_client.scan_iter(_type="stream"):
        streams += 1
        last = redis_client.xinfo_stream(key)["last-generated-id"]
        groups = {group["name"]: group for group in redis_client.xinfo_groups(key)}
        for name in CONSUMERS:
            group = groups.get(name)
            if group is None:
                missing_groups.append(f"{key}/{name}")
                continue
            unacknowledged += group["pending"]
            if group["last-delivered-id"] != last:
                lag = group.get("lag")  # Redis 7: entries not yet delivered (None when it cannot tell)
                undelivered += lag if isinstance(lag, int) and lag > 0 else 1
    return {
        "unpublished_events": unpublished,
        "streams": streams,
        "undelivered_entries": undelivered,
        "unacknowledged_entries": unacknowledged,
        "missing_groups": missing_groups,
        "pending_receipts": pending_receipts,
        "unrequested_receipts": unrequested_receipts,
        "last_transaction": last_transaction,
    }


def _pending_receipts(cursor) -> tuple[int, int]:
    """Receipts whose rendering is outstanding, and PENDING receipts nobody has asked for. Where receipts are made
    on demand (wallet_receipt.requested_at), a PENDING receipt is rendered only once requested: until then it is
    not work left to do. Without that column every PENDING receipt is queued. Without the table there are none."""
    cursor.execute("SELECT to_regclass('wallet_receipt') IS NOT NULL")
    if not cursor.fetchone()[0]:
        return 0, 0
    cursor.execute(
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_name = 'wallet_receipt' AND column_name = 'requested_at' AND table_schema = current_schema()"
    )
    if not cursor.fetchone()[0]:
        cursor.execute("SELECT count(*) FROM wallet_receipt WHERE status = 'PENDING'")
        return cursor.fetchone()[0], 0
    cursor.execute(
        "SELECT count(*) FILTER (WHERE requested_at IS NOT NULL), count(*) FILTER (WHERE requested_at IS NULL) "
        "FROM wallet_receipt WHERE status = 'PENDING'"
    )
    return tuple(cursor.fetchone())


def _is_empty(state: dict) -> bool:
    return (
        state["streams"] > 0
        and not state["missing_groups"]
        and state["unpublished_events"] == 0
        and state["undelivered_entries"] == 0
        and state["unacknowledged_entries"] == 0
        and state["pending_receipts"] == 0
    )


def wait_drained(redis_client, *, timeout_s: float) -> tuple[bool, dict]:
    """Polls until the backlog is empty at two polls in a row with no new transaction between them (requests
    in flight when wrk stopped still commit after it exits)."""
    deadline = time.monotonic() + timeout_s
    previous = None
    while True:
        state = backlog(redis_client)
        if _is_empty(state) and previous is not None and previous["last_transaction"] == state["last_transaction"]:
            return True, state
        previous = state if _is_empty(state) else None
        if time.monotonic() > deadline:
            return False, state
        time.sleep(POLL_S)


def run(
    *,
    env: dict,
    postmaster_pid,
    workers: int,
    users_file: Path,
    clients: int,
    duration_s: float,
    warmup_s: float,
    drain_timeout_s: float,
    workdir: Path,
    log,
) -> dict:
    import redis
    from django.db import connection

    with contextlib.ExitStack() as running:
        cache = harness.redis()
        running.callback(cache.stop)
        env = {**env, "REDIS_URL": cache.url, "EVENT_TRANSPORT": "redis", "EVENTS_IN_PROCESS": "false"}
        # The fixtures' and the earlier scenarios' events were written with no relay running and are not part of
        # this measurement (the fixtures' payloads are not even real events): they count as published.
        # VACUUM then clears the partial index of unpublished rows, which the relay scans on every poll.
        with connection.cursor() as cursor:
            cursor.execute("UPDATE wallet_outboxevent SET published_at = now() WHERE published_at IS NULL")
            cursor.execute("VACUUM ANALYZE wallet_outboxevent")
        web = harness.gunicorn(env, workers=workers, options=("--backlog=2048",))
        running.callback(web.stop, grace=30)

        def manage(*args: str) -> harness.Process:
            name = "-".join(args[-2:] if args[0] == "consume_events" else args[:1])
            process = harness.Process([sys.executable, "manage.py", *args], env=env, log=workdir / f"{name}.log")
            running.callback(process.stop, grace=30)
            return process

        relay = manage("relay_events")
        consumers = [manage("consume_events", "--consumer", name) for name in CONSUMERS]
        worker = harness.celery_worker(env, "--concurrency", "2")
        running.callback(worker.stop, grace=30)
        groups: cpu.Groups = {
            "web": lambda: [web.pid],
            "postgres": lambda: [postmaster_pid()],
            "relay": lambda: [relay.pid],
            # Each consumer on its own, added up as `consumers` below.
            **{
                f"consumer {name}": (lambda process=process: [process.pid])
                for name, process in zip(CONSUMERS, consumers, strict=True)
            },
            "worker": lambda: [worker.pid],
            "redis": lambda: [cache.pid],
        }
        processes = {"web": web, "relay": relay, "worker": worker, "redis": cache} | {
            f"consumer {name}": process for name, process in zip(CONSUMERS, consumers, strict=True)
        }
        client = redis.Redis.from_url(cache.url, decode_responses=True)
        url = f"http://127.0.0.1:{web.port}/graphql/"

        def check_alive() -> None:
            for name, process in processes.items():
                if not process.alive():
                    raise RuntimeError(f"pipeline: {name} exited:\n{process.tail()}")

        def groups_exist() -> bool:
            check_alive()
            state = backlog(client)
            return state["streams"] > 0 and not state["missing_groups"]

        # Wait for the consumers' groups to exist, then warm up (imports, first receipts, caches) and drain.
        harness.wait_until(groups_exist, "the consumers' groups on the event streams", timeout=90)
        wrk.run(
            url, mode="spread", connections=clients, duration_s=max(1.0, warmup_s), users_file=users_file,
            workdir=workdir, seed=101,
        )  # fmt: skip
        drained, state = wait_drained(client, timeout_s=drain_timeout_s)
        check_alive()
        if not drained:
            raise RuntimeError(f"pipeline: the warm-up did not drain in {drain_timeout_s:.0f} s: {state}")
        idle_s = cpu.wait_until_idle(groups, timeout=30)
        log(f"pipeline: processes up and warm (idle after {idle_s:.1f} s); {clients} clients for {duration_s:.0f} s")

        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM wallet_transaction")
            since_transaction = cursor.fetchone()[0]
            cursor.execute("SELECT coalesce(max(id), 0) FROM wallet_outboxevent")
            since_event = cursor.fetchone()[0]
        before = cpu.sample(groups)
        started = time.monotonic()
        load = wrk.run(
            url, mode="spread", connections=clients, duration_s=duration_s, users_file=users_file, workdir=workdir,
            seed=102,
        )  # fmt: skip
        load_end = time.monotonic()
        at_load_end = backlog(client)
        drained, state = wait_drained(client, timeout_s=drain_timeout_s)
        finished = time.monotonic()
        used = cpu.used(before, cpu.sample(groups))
        check_alive()

    each_consumer = {name: used.pop(f"consumer {name}") for name in CONSUMERS}
    used = {**used, "consumers": sum(each_consumer.values()), "loadgen": load["cpu_s"]["loadgen"]}
    used = {name: used[name] for name in ("web", "postgres", "relay", "consumers", "worker", "redis", "loadgen")}
    counts = _counts(since_transaction, since_event)
    transfers = counts["succeeded"]
    load_s, drain_s = load_end - started, finished - load_end

    def per_transfer_ms(seconds: float) -> float | None:
        return round(1000 * seconds / transfers, 2) if transfers else None

    per_transfer = {name: per_transfer_ms(seconds) for name, seconds in used.items()}
    total = sum(used.values())
    web_and_postgres = used["web"] + used["postgres"]
    return {
        "concurrency": clients,
        "drained": drained,
        "load_s": round(load_s, 2),
        "drain_s": round(drain_s, 2),
        "transfers": transfers,
        "transactions": counts["transactions"],
        "events": counts["events"],
        "receipts": counts["receipts"],
        "backlog_at_load_end": at_load_end,
        "backlog_at_end": state,
        # Fully processed: accepted, published, consumed, receipts made.
        "per_second": round(transfers / (load_s + drain_s), 1) if transfers else 0.0,
        "accepted_per_second": load["per_second"],
        "load": load,
        "cpu_s": {name: round(seconds, 3) for name, seconds in used.items()},
        "cpu_ms_per_transfer": per_transfer | {"total": per_transfer_ms(total)},
        "consumers_cpu_ms_per_transfer": {name: per_transfer_ms(seconds) for name, seconds in each_consumer.items()},
        "all_over_web_and_postgres": round(total / web_and_postgres, 2) if web_and_postgres else None,
    }
