"""Publishing the outbox: the relay, its transports and idempotent consumers."""
