"""The ledger's hash chain (wallet/ledger_chain.py): entries get previous_hash and entry_hash, wallets their
chain head, and every existing entry is sealed, per chain in id order, with the LEDGER_HASH_KEY of the
environment that runs this migration.

Entries are append-only, in the database too: the backfill lets its UPDATEs through by disabling the
trigger for the length of this migration's transaction (ALTER TABLE is transactional, and the table's owner,
who runs migrations, may do it).
"""

from contextlib import contextmanager

from django.db import migrations, models

from wallet.ledger_chain import GENESIS_HASH, seal_unsealed_entries

POSTGRES_TRIGGER = "wallet_ledgerentry_append_only"


@contextmanager
def entry_updates_allowed(connection):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_trigger WHERE tgname = %s AND tgrelid = 'wallet_ledgerentry'::regclass",
            [POSTGRES_TRIGGER],
        )
        guarded = cursor.fetchone() is not None
        if guarded:
            cursor.execute(f"ALTER TABLE wallet_ledgerentry DISABLE TRIGGER {POSTGRES_TRIGGER}")
        yield
        if guarded:
            cursor.execute(f"ALTER TABLE wallet_ledgerentry ENABLE TRIGGER {POSTGRES_TRIGGER}")


def seal_existing_entries(apps, schema_editor):
    connection = schema_editor.connection
    with entry_updates_allowed(connection):
        seal_unsealed_entries(
            apps.get_model("wallet", "LedgerEntry"), apps.get_model("wallet", "Wallet"), connection=connection
        )


class Migration(migrations.Migration):
    dependencies = [
        ("wallet", "0010_receipts"),
    ]

    operations = [
        migrations.AddField(
            model_name="ledgerentry",
            name="previous_hash",
            field=models.CharField(db_default="", default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="ledgerentry",
            name="entry_hash",
            field=models.CharField(db_default="", default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="wallet",
            name="last_entry_hash",
            field=models.CharField(db_default=GENESIS_HASH, default=GENESIS_HASH, editable=False, max_length=64),
        ),
        migrations.RunPython(seal_existing_entries, migrations.RunPython.noop),
    ]
