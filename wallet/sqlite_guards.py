"""SQLite's append-only triggers on the ledger tables, restored after every migrate.

SQLite cannot alter a table in place, so Django rebuilds it for most schema
changes, and a rebuilt table loses its triggers. (PostgreSQL's triggers, from
migration 0002, survive ALTER TABLE.)
"""

from django.db import connections

LEDGER_TABLES = ("wallet_transaction", "wallet_ledgerentry")


def restore_sqlite_ledger_triggers(*, using: str = "default", **kwargs) -> None:
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for table in LEDGER_TABLES:
            cursor.execute(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'rows of {table} are append-only'); END"
            )
