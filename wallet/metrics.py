"""The ledger's Prometheus metrics (served at /metrics by django-prometheus, with its request metrics).

Under gunicorn, set PROMETHEUS_MULTIPROC_DIR (the Docker image does) so /metrics adds up every worker.
"""

from django.db import transaction
from prometheus_client import Counter, Histogram

TRANSACTIONS = Counter(
    "wallet_transactions_total",
    "Transactions committed, by kind and status (FAILED ones are refusals the ledger recorded).",
    ["kind", "status"],
)
LOCK_WAIT = Histogram(
    "wallet_lock_wait_seconds",
    "Time a money transaction waited to lock its wallets (SELECT ... FOR UPDATE in id order, in wallet_post).",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


def count_after_commit(transactions) -> None:
    """Counts the transactions once their database transaction commits (a rollback counts nothing)."""
    labels = [(txn.kind, txn.status) for txn in transactions]

    def count():
        for kind, status in labels:
            TRANSACTIONS.labels(kind=kind, status=status).inc()

    transaction.on_commit(count, robust=True)
