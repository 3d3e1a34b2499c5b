"""Database-enforced ledger rules, beyond what Django constraints can say.

Ledger rows are append-only (UPDATE and DELETE raise), and a deferred
constraint trigger checks at commit that every transaction's entries sum to
zero, that a SUCCESS has at least two entries and a FAILED none. (This
migration also created SQLite triggers while SQLite was supported.)
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE FUNCTION wallet_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are append-only', TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation';
END;
$$;

CREATE TRIGGER wallet_transaction_append_only BEFORE UPDATE OR DELETE ON wallet_transaction
    FOR EACH ROW EXECUTE FUNCTION wallet_ledger_append_only();
CREATE TRIGGER wallet_ledgerentry_append_only BEFORE UPDATE OR DELETE ON wallet_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION wallet_ledger_append_only();

CREATE FUNCTION wallet_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    txn_id bigint;
    txn_status text;
    entry_sum numeric;
    entry_count integer;
BEGIN
    IF TG_TABLE_NAME = 'wallet_ledgerentry' THEN
        txn_id := NEW.transaction_id;
    ELSE
        txn_id := NEW.id;
    END IF;
    SELECT status INTO txn_status FROM wallet_transaction WHERE id = txn_id;
    SELECT COALESCE(SUM(delta), 0), COUNT(*) INTO entry_sum, entry_count
        FROM wallet_ledgerentry WHERE transaction_id = txn_id;
    IF entry_sum <> 0 THEN
        RAISE EXCEPTION 'transaction % is unbalanced: its entries sum to %', txn_id, entry_sum
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF txn_status = 'SUCCESS' AND entry_count < 2 THEN
        RAISE EXCEPTION 'successful transaction % has % entries', txn_id, entry_count
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF txn_status = 'FAILED' AND entry_count > 0 THEN
        RAISE EXCEPTION 'failed transaction % has entries', txn_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER wallet_ledgerentry_balanced AFTER INSERT ON wallet_ledgerentry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wallet_transaction_balanced();
CREATE CONSTRAINT TRIGGER wallet_transaction_balanced AFTER INSERT ON wallet_transaction
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION wallet_transaction_balanced();
"""

POSTGRES_REVERSE = """
DROP TRIGGER IF EXISTS wallet_transaction_balanced ON wallet_transaction;
DROP TRIGGER IF EXISTS wallet_ledgerentry_balanced ON wallet_ledgerentry;
DROP FUNCTION IF EXISTS wallet_transaction_balanced();
DROP TRIGGER IF EXISTS wallet_ledgerentry_append_only ON wallet_ledgerentry;
DROP TRIGGER IF EXISTS wallet_transaction_append_only ON wallet_transaction;
DROP FUNCTION IF EXISTS wallet_ledger_append_only();
"""

def forward(apps, schema_editor):
    schema_editor.execute(POSTGRES_FORWARD, params=None)


def reverse(apps, schema_editor):
    schema_editor.execute(POSTGRES_REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0001_initial")]

    operations = [migrations.RunPython(forward, reverse)]
