"""Reads the event streams as a Redis consumer group: at least once, acknowledged after handling."""

import json
from collections.abc import Callable

import redis

from wallet.events.consumers import consume_batch


def consume_streams(
    *,
    url: str,
    group: str,
    handler: Callable[[list[dict]], None],
    stream: str = "wallet-events",
    shards: int = 8,
    once: bool = False,
    block_ms: int = 1000,
) -> int:
    """Hands every event of the streams to `handler` once per consumer group; returns how many it handled."""
    client = redis.Redis.from_url(url)
    keys = [f"{stream}:{shard}" for shard in range(shards)]
    for key in keys:
        try:
            client.xgroup_create(key, group, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
    handled = 0
    while True:
        batches = client.xreadgroup(group, f"{group}-consumer", {key: ">" for key in keys}, count=100, block=block_ms)
        if not batches and once:
            return handled
        for key, entries in batches or []:
            # One transaction per stream's batch, acknowledged once it committed.
            events = [json.loads(fields[b"event"]) for _, fields in entries]
            handled += consume_batch(consumer=group, events=events, handler=handler)
            client.xack(key, group, *[entry_id for entry_id, _ in entries])
