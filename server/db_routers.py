"""Reads of history from a streaming replica, when one is configured; everything else on the primary.

Only code that asks for it reads from the replica (`with history_reads():`, used by the history selectors),
so the ledger service, idempotency replays and anything inside a money transaction always read the primary:
a replica lags, and a stale read there would be a wrong answer. Off unless DATABASE_REPLICA_URL is set.
"""

import contextvars
from contextlib import contextmanager

from django.db import connections

_reading_history = contextvars.ContextVar("reading_history", default=False)


@contextmanager
def history_reads():
    token = _reading_history.set(True)
    try:
        yield
    finally:
        _reading_history.reset(token)


class HistoryReplicaRouter:
    def db_for_read(self, model, **hints):
        # The connection handler's own settings (the DATABASES it makes connections from), so that a replica
        # alias added or removed at run time (tests do) counts as soon as a connection could be made to it.
        if _reading_history.get() and "replica" in connections.settings and not connections["default"].in_atomic_block:
            return "replica"
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
