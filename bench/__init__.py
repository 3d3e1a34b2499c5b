"""Benchmarks: the service's transfer throughput and latency beside PostgreSQL's own limit (pgbench)."""
