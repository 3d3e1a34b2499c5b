"""Bulk fixtures for the benchmark, written with set-based SQL on PostgreSQL.

Seeding 10,000 funded wallets and a 1,000,000-entry history through the ledger
service one movement at a time would take longer than the benchmark's whole
five-minute budget, so these fixtures write the same rows the service writes
(transaction, balanced entries with running balance_after, history rows,
outbox event, cached balances) in a few statements. The triggers are paused
while they run (`session_replication_role = replica`, a superuser setting of the
throwaway server); `audit_ledger()` (verify_ledger) checks the whole ledger at
the end of every benchmark run instead. Nothing outside bench/ uses this.
"""

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from wallet.models import Wallet

FIXTURE_TIME = "now() - interval '2 days'"  # before today, so daily-limit counters stay at zero


def _apply_plan(cursor) -> None:
    """Turns the rows of temp table `plan` into ledger rows, in `seq` order."""
    cursor.execute(
        f"""
        INSERT INTO wallet_transaction (kind, status, amount, currency, initiator_id, sender_wallet_id,
            receiver_wallet_id, idempotency_key, request_fingerprint, failure_code, note, created_at)
        SELECT kind, 'SUCCESS', amount, 'USD', initiator_id, sender, receiver, key, 'bench-fixture', '', '',
            {FIXTURE_TIME}
        FROM plan ORDER BY seq;

        CREATE TEMP TABLE legs ON COMMIT DROP AS
        SELECT t.id AS txn, p.sender AS wallet, -p.amount AS delta, p.seq, 0 AS side
            FROM plan p JOIN wallet_transaction t ON t.initiator_id = p.initiator_id AND t.idempotency_key = p.key
        UNION ALL
        SELECT t.id, p.receiver, p.amount, p.seq, 1
            FROM plan p JOIN wallet_transaction t ON t.initiator_id = p.initiator_id AND t.idempotency_key = p.key;

        INSERT INTO wallet_ledgerentry (transaction_id, wallet_id, delta, pending, balance_after, created_at)
        SELECT l.txn, l.wallet, l.delta, false,
            w.balance + sum(l.delta) OVER (PARTITION BY l.wallet ORDER BY l.seq, l.side), {FIXTURE_TIME}
        FROM legs l JOIN wallet_wallet w ON w.id = l.wallet
        ORDER BY l.seq, l.side;

        INSERT INTO wallet_transactionparty (transaction_id, wallet_id)
        SELECT l.txn, l.wallet FROM legs l JOIN wallet_wallet w ON w.id = l.wallet
        WHERE w.kind = 'CUSTOMER' ORDER BY l.txn, l.wallet;

        INSERT INTO wallet_outboxevent (event_id, event_type, transaction_id, payload, created_at)
        SELECT gen_random_uuid(), 'transaction.succeeded', txn, '{{"fixture": true}}', {FIXTURE_TIME}
        FROM legs WHERE side = 0 ORDER BY txn;

        UPDATE wallet_wallet w SET balance = w.balance + d.total
        FROM (SELECT wallet, sum(delta) AS total FROM legs GROUP BY wallet) d WHERE w.id = d.wallet;

        DROP TABLE plan, legs;
        SET LOCAL session_replication_role = DEFAULT;
        """
    )


def _funding_wallet_id() -> int:
    wallet, _ = Wallet.objects.get_or_create(kind=Wallet.Kind.FUNDING, user=None, defaults={"daily_transfer_limit": 0})
    return wallet.pk


def create_funded_users(*, prefix: str, count: int, balance_minor: int, password: str) -> None:
    """Users `{prefix}00001`… with wallets, each topped up from the funding account."""
    funding = _funding_wallet_id()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            """
            INSERT INTO wallet_user (password, is_superuser, username, first_name, last_name, email,
                is_staff, is_active, date_joined)
            SELECT %s, false, %s || lpad(g::text, 5, '0'), '', '', '', false, true, now()
            FROM generate_series(1, %s) g;

            INSERT INTO wallet_wallet (user_id, kind, currency, balance, held, daily_transfer_limit, spent_today,
                created_at)
            SELECT id, 'CUSTOMER', 'USD', 0, 0, 100000000000, 0, now()
            FROM wallet_user WHERE username LIKE %s ORDER BY id;

            CREATE TEMP TABLE plan ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY w.id) AS seq, 'ADD_MONEY'::varchar AS kind, w.user_id AS initiator_id,
                %s::bigint AS sender, w.id AS receiver, %s::bigint AS amount, 'bench-seed'::varchar AS key
            FROM wallet_wallet w JOIN wallet_user u ON u.id = w.user_id WHERE u.username LIKE %s;
            """,
            [make_password(password), prefix, count, f"{prefix}%", funding, balance_minor, f"{prefix}%"],
        )
        _apply_plan(cursor)


def grow_history(*, one_wallet: Wallet, other_wallet: Wallet, total_entries: int) -> None:
    """Alternating 0.01 transfers between two wallets until the whole ledger holds `total_entries` entries."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM wallet_ledgerentry")
        missing_transfers = (total_entries - cursor.fetchone()[0]) // 2
        missing_transfers -= missing_transfers % 2  # whole round trips keep both balances where they were
        if missing_transfers <= 0:
            return
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            """
            CREATE TEMP TABLE plan ON COMMIT DROP AS
            SELECT g AS seq, 'TRANSFER'::varchar AS kind,
                CASE WHEN g %% 2 = 0 THEN %(other_user)s ELSE %(one_user)s END::bigint AS initiator_id,
                CASE WHEN g %% 2 = 0 THEN %(other)s ELSE %(one)s END::bigint AS sender,
                CASE WHEN g %% 2 = 0 THEN %(one)s ELSE %(other)s END::bigint AS receiver,
                1::bigint AS amount,
                'bench-history-' || g || '-' || txid_current() AS key
            FROM generate_series(0, %(count)s - 1) g;
            """,
            {
                "one": one_wallet.pk,
                "one_user": one_wallet.user_id,
                "other": other_wallet.pk,
                "other_user": other_wallet.user_id,
                "count": missing_transfers,
            },
        )
        _apply_plan(cursor)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def vacuum_analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
