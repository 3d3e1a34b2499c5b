"""Reads the event streams as a Redis consumer group: at least once, acknowledged after handling."""

import json
from collections.abc import Callable

import redis

from wallet.events.consumers import consume


def consume_streams(
    *,
    url: str,
    group: str,
    handler: Callable[[dict], None],
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
            for entry_id, fields in entries:
                event = json.loads(fields[b"event"])
                handled += consume(consumer=group, event=event, handler=handler)
                client.xack(key, group, entry_id)
