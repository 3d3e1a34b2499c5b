"""Bulk fixtures for the benchmark, written with set-based SQL on PostgreSQL.

Seeding 10,000 funded wallets and a 1,000,000-entry history through the ledger
service one movement at a time would take longer than the benchmark's whole
five-minute budget, so these fixtures write the same rows the service writes
(transaction, balanced entries with running balance_after, history rows,
outbox event, cached balances) in a few statements. The triggers are paused
while they run (`session_replication_role = replica`, a superuser setting of the
throwaway server); `audit_ledger()` (verify_ledger) checks the whole ledger at
the end of every benchmark run instead. Nothing outside bench/ uses this.

The entries are sealed into their wallets' hash chains as the service seals them (wallet/ledger_chain.py):
the planned entries are numbered in a temp table, hashed here in id order with the same key, and only then
inserted, hashes included, so no row is ever updated. `install_sql_entry_hash` gives pgbench's plain-SQL
transfer (bench/pgbench_transfer.sql) the same hash as a SQL function.
"""

import hashlib
import io

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from psycopg2.extras import execute_values

from wallet.ledger_chain import SCHEME, entry_digest, hash_key
from wallet.models import Wallet

FIXTURE_TIME = "now() - interval '2 days'"  # before today, so daily-limit counters stay at zero


def _apply_plan(cursor, *, note: str = "''", created_at: str = FIXTURE_TIME) -> None:
    """Turns the rows of temp table `plan` (seq, kind, initiator_id, sender, receiver, amount, key, reference,
    metadata) into ledger rows, in `seq` order. `note` and `created_at`: SQL for the movement's note and time, which
    may read the plan's own columns (the search scenario's plan has note and created_at); the entries take the
    movement's time."""
    cursor.execute(
        f"""
        INSERT INTO wallet_transaction (kind, status, amount, currency, initiator_id, sender_wallet_id,
            receiver_wallet_id, idempotency_key, request_fingerprint, failure_code, note, reference, metadata,
            created_at)
        SELECT kind, 'SUCCESS', amount, 'USD', initiator_id, sender, receiver, key, 'bench-fixture', '', {note},
            reference, metadata, {created_at}
        FROM plan ORDER BY seq;

        CREATE TEMP TABLE legs ON COMMIT DROP AS
        SELECT t.id AS txn, p.sender AS wallet, -p.amount AS delta, p.seq, 0 AS side, t.created_at
            FROM plan p JOIN wallet_transaction t ON t.initiator_id = p.initiator_id AND t.idempotency_key = p.key
        UNION ALL
        SELECT t.id, p.receiver, p.amount, p.seq, 1, t.created_at
            FROM plan p JOIN wallet_transaction t ON t.initiator_id = p.initiator_id AND t.idempotency_key = p.key;

        CREATE TEMP TABLE new_entries ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY l.seq, l.side) AS n, l.txn, l.wallet, l.delta,
            (w.balance + sum(l.delta) OVER (PARTITION BY l.wallet ORDER BY l.seq, l.side))::bigint AS balance_after,
            l.created_at
        FROM legs l JOIN wallet_wallet w ON w.id = l.wallet;
        CREATE TEMP TABLE entry_hashes (n bigint PRIMARY KEY, previous_hash text, entry_hash text) ON COMMIT DROP;
        """
    )
    _insert_sealed_entries(cursor)
    cursor.execute(
        f"""
        INSERT INTO wallet_transactionparty (transaction_id, wallet_id)
        SELECT l.txn, l.wallet FROM legs l JOIN wallet_wallet w ON w.id = l.wallet
        WHERE w.kind = 'CUSTOMER' ORDER BY l.txn, l.wallet;

        INSERT INTO wallet_outboxevent (event_id, event_type, transaction_id, payload, created_at)
        SELECT gen_random_uuid(), 'transaction.succeeded', txn, '{{"fixture": true}}', {FIXTURE_TIME}
        FROM legs WHERE side = 0 ORDER BY txn;

        UPDATE wallet_wallet w SET balance = w.balance + d.total
        FROM (SELECT wallet, sum(delta) AS total FROM legs GROUP BY wallet) d WHERE w.id = d.wallet;

        DROP TABLE plan, legs, new_entries, entry_hashes;
        SET LOCAL session_replication_role = DEFAULT;
        """
    )


def _insert_sealed_entries(cursor) -> None:
    """Hashes temp table `new_entries` into its wallets' chains (in `n` order, which is id order) and inserts it."""
    key = hash_key()
    cursor.execute(
        "SELECT id, last_entry_hash FROM wallet_wallet WHERE id IN (SELECT DISTINCT wallet FROM new_entries)"
    )
    heads = dict(cursor.fetchall())
    with connection.chunked_cursor() as rows:  # server-side: a million entries need not fit in memory
        rows.execute(
            "SELECT n, wallet, txn, delta, balance_after, (extract(epoch FROM created_at) * 1000000)::bigint "
            "FROM new_entries ORDER BY n"
        )
        while chunk := rows.fetchmany(50_000):
            hashes = io.StringIO()
            for n, wallet, txn, delta, balance_after, created_at_us in chunk:
                previous = heads[wallet]
                heads[wallet] = entry_digest(
                    previous_hash=previous,
                    wallet_id=wallet,
                    transaction_id=txn,
                    delta_minor=delta,
                    pending=False,
                    balance_after_minor=balance_after,
                    created_at_us=created_at_us,
                    key=key,
                )
                hashes.write(f"{n}\t{previous}\t{heads[wallet]}\n")
            hashes.seek(0)
            cursor.cursor.copy_expert("COPY entry_hashes (n, previous_hash, entry_hash) FROM STDIN", hashes)
    # One block of ids, in plan order: the chains were hashed in this order.
    cursor.execute("SELECT count(*) FROM new_entries")
    count = cursor.fetchone()[0]
    if not count:
        return
    cursor.execute("SELECT pg_get_serial_sequence('wallet_ledgerentry', 'id')")
    sequence = cursor.fetchone()[0]
    cursor.execute("SELECT setval(%s, nextval(%s) + %s - 1)", [sequence, sequence, count])
    last_id = cursor.fetchone()[0]
    cursor.execute(
        """
        INSERT INTO wallet_ledgerentry (id, transaction_id, wallet_id, delta, pending, balance_after, created_at,
            previous_hash, entry_hash)
        SELECT %s - %s + e.n, e.txn, e.wallet, e.delta, false, e.balance_after, e.created_at,
            h.previous_hash, h.entry_hash
        FROM new_entries e JOIN entry_hashes h USING (n) ORDER BY e.n
        """,
        [last_id, count],
    )
    execute_values(
        cursor.cursor,
        "UPDATE wallet_wallet w SET last_entry_hash = v.head FROM (VALUES %s) AS v(id, head) WHERE w.id = v.id",
        sorted(heads.items()),
        page_size=1_000,
    )


def install_sql_entry_hash() -> None:
    """Creates bench_ledger_entry_hash(previous, wallet, txn, delta, pending, balance_after, created_at): the
    service's entry hash (wallet/ledger_chain.py, HMAC-SHA256 under LEDGER_HASH_KEY) in SQL, for pgbench.
    The HMAC is spelled out with sha256() (no pgcrypto); the key is inlined (the server is a throwaway)."""
    key = hash_key()
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    inner, outer = bytes(b ^ 0x36 for b in key).hex(), bytes(b ^ 0x5C for b in key).hex()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            CREATE OR REPLACE FUNCTION bench_ledger_entry_hash(
                previous text, wallet bigint, txn bigint, delta bigint, pending boolean, balance_after bigint,
                created_at timestamptz
            ) RETURNS text LANGUAGE sql IMMUTABLE AS $$
                SELECT encode(sha256(decode('{outer}', 'hex') || sha256(decode('{inner}', 'hex') || convert_to(
                    concat_ws('|', '{SCHEME}', previous, wallet, txn, delta, pending::int, balance_after,
                        (extract(epoch FROM created_at) * 1000000)::bigint),
                    'UTF8'))), 'hex')
            $$
            """
        )


def _funding_wallet_id() -> int:
    wallet, _ = Wallet.objects.get_or_create(kind=Wallet.Kind.FUNDING, user=None, defaults={"daily_transfer_limit": 0})
    return wallet.pk


def create_funded_users(*, prefix: str, count: int, balance_minor: int, password: str, first: int = 1) -> None:
    """Users `{prefix}00001`… (from `{prefix}{first:05}`) with wallets, each topped up from the funding account."""
    funding = _funding_wallet_id()
    names = (f"{prefix}{first:05}", f"{prefix}{first + count - 1:05}")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            """
            INSERT INTO wallet_user (password, is_superuser, username, first_name, last_name, email,
                is_staff, is_active, date_joined)
            SELECT %(password)s, false, %(prefix)s || lpad(g::text, 5, '0'), '', '', '', false, true, now()
            FROM generate_series(%(first)s, %(first)s + %(count)s - 1) g;

            INSERT INTO wallet_wallet (user_id, kind, currency, balance, held, daily_transfer_limit, spent_today,
                created_at)
            SELECT id, 'CUSTOMER', 'USD', 0, 0, 100000000000, 0, now()
            FROM wallet_user WHERE username BETWEEN %(low)s AND %(high)s ORDER BY id;

            CREATE TEMP TABLE plan ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY w.id) AS seq, 'ADD_MONEY'::varchar AS kind, w.user_id AS initiator_id,
                %(funding)s::bigint AS sender, w.id AS receiver, %(balance)s::bigint AS amount,
                'bench-seed'::varchar AS key, ''::varchar AS reference, '{}'::jsonb AS metadata
            FROM wallet_wallet w JOIN wallet_user u ON u.id = w.user_id WHERE u.username BETWEEN %(low)s AND %(high)s;
            """,
            {
                "password": make_password(password), "prefix": prefix, "first": first, "count": count,
                "low": names[0], "high": names[1], "funding": funding, "balance": balance_minor,
            },
        )  # fmt: skip
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
                'bench-history-' || g || '-' || txid_current() AS key,
                ''::varchar AS reference, '{}'::jsonb AS metadata
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


# The tagged ledger of the lookups scenario (bench/__main__.py): a merchant whose server tags every movement with a
# reference and metadata, and other users who do the same. Every user numbers its own orders from 1001, as shops
# do, so a reference or an order id is the initiator's own but the same string recurs across initiators: at a
# million entries one value is shared by thousands of them, which a lookup by value must not pay for.
CHANNELS = ("web", "app", "pos")
FIRST_ORDER = 1001


def _tagged_wallets(prefix: str) -> tuple[list[int], list[int]]:
    """(user ids, wallet ids) of the tagged population, in username order: the measured merchant first."""
    rows = list(
        Wallet.objects.filter(user__username__startswith=prefix).order_by("user__username").values_list("user_id", "id")
    )
    return [user for user, _ in rows], [wallet for _, wallet in rows]


def tagged_transfers(cursor, *, prefix: str, count: int, to_merchant: bool) -> None:
    """`count` tagged transfers initiated by the other users in turn, each its initiator's next order (reference
    INV-<order>, metadata {"order_id": "<order>", "channel": web/app/pos}); each pays the merchant (`to_merchant`)
    or another of the others. Numbered on from where the last call stopped."""
    users, wallets = _tagged_wallets(prefix)
    cursor.execute(
        "SELECT initiator_id, count(*) FROM wallet_transaction WHERE initiator_id = ANY(%s) AND reference <> '' "
        "GROUP BY initiator_id",
        [users[1:]],
    )
    orders = dict(cursor.fetchall())
    cursor.execute("SET LOCAL session_replication_role = replica")
    cursor.execute(
        """
        CREATE TEMP TABLE plan ON COMMIT DROP AS
        WITH moves AS (
            SELECT g, 2 + g %% %(others)s AS i,
                CASE WHEN %(to_merchant)s THEN 1
                    ELSE 2 + (g %% %(others)s + 1 + (g / %(others)s) %% (%(others)s - 1)) %% %(others)s END AS j
            FROM generate_series(%(first)s, %(first)s + %(count)s - 1) g
        ), numbered AS (
            SELECT m.*, %(first_order)s - 1 + coalesce((%(orders)s::bigint[])[m.i], 0)
                + row_number() OVER (PARTITION BY m.i ORDER BY m.g) AS order_no
            FROM moves m
        )
        SELECT g - %(first)s AS seq, 'TRANSFER'::varchar AS kind, (%(users)s::bigint[])[i] AS initiator_id,
            (%(wallets)s::bigint[])[i] AS sender, (%(wallets)s::bigint[])[j] AS receiver,
            (100 + g %% 900)::bigint AS amount, 'bench-tag-' || g AS key, ('INV-' || order_no)::varchar AS reference,
            jsonb_build_object('order_id', order_no::text, 'channel', (%(channels)s::text[])[1 + g %% 3]) AS metadata
        FROM numbered
        """,
        {
            "users": users, "wallets": wallets, "others": len(users) - 1, "first": sum(orders.values()),
            "count": count, "to_merchant": to_merchant, "first_order": FIRST_ORDER, "channels": list(CHANNELS),
            "orders": [orders.get(user, 0) for user in users],
        },
    )  # fmt: skip
    _apply_plan(cursor)


def seed_tagged(*, prefix: str, others: int, own: int, password: str) -> None:
    """The measured merchant `{prefix}00001` and `others` users, funded; the merchant initiates `own` tagged
    transfers to them (its orders 1001 …) and receives `own` tagged transfers from them (their first orders)."""
    create_funded_users(prefix=prefix, count=others + 1, balance_minor=10_000_000, password=password)
    users, wallets = _tagged_wallets(prefix)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            """
            CREATE TEMP TABLE plan ON COMMIT DROP AS
            SELECT g AS seq, 'TRANSFER'::varchar AS kind, %(merchant)s::bigint AS initiator_id,
                %(wallet)s::bigint AS sender, (%(wallets)s::bigint[])[2 + g %% %(others)s] AS receiver,
                (100 + g %% 900)::bigint AS amount, 'bench-tag-own-' || g AS key,
                ('INV-' || (%(first_order)s + g))::varchar AS reference,
                jsonb_build_object('order_id', (%(first_order)s + g)::text,
                    'channel', (%(channels)s::text[])[1 + g %% 3]) AS metadata
            FROM generate_series(0, %(own)s - 1) g
            """,
            {
                "merchant": users[0], "wallet": wallets[0], "wallets": wallets, "others": others, "own": own,
                "first_order": FIRST_ORDER, "channels": list(CHANNELS),
            },
        )  # fmt: skip
        _apply_plan(cursor)
    with transaction.atomic(), connection.cursor() as cursor:
        tagged_transfers(cursor, prefix=prefix, count=own, to_merchant=True)


def grow_tagged(*, prefix: str, users: int, total_entries: int, password: str) -> None:
    """More users (`users` in all, the merchant included), then the other users' tagged transfers among themselves
    until the whole ledger holds `total_entries` entries."""
    existing = Wallet.objects.filter(user__username__startswith=prefix).count()
    if users > existing:
        create_funded_users(
            prefix=prefix, first=existing + 1, count=users - existing, balance_minor=10_000_000, password=password
        )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM wallet_ledgerentry")
        missing = (total_entries - cursor.fetchone()[0]) // 2
        if missing > 0:
            tagged_transfers(cursor, prefix=prefix, count=missing, to_merchant=False)


# The searched ledger of the search scenario (bench/search.py): one user's history of known shape among everyone's.
SEARCH_NOTES = ("Rent for the flat", "Coffee", "Invoice 42", "Groceries")
SEARCH_DAYS = 400


def seed_searched(*, prefix: str, others: int, own: int, password: str) -> None:
    """The measured user `{prefix}00001` and `others` users, funded. The measured user's `own` movements alternate
    sent and received; every fifth pair's other side is `{prefix}00002` (the searched counterparty), the others'
    are the rest in turn; amounts run 1.00 to 999.00; notes cycle through SEARCH_NOTES; times are spread evenly
    over the SEARCH_DAYS before the fixtures' time, in id order, as the service writes them."""
    create_funded_users(prefix=prefix, count=others + 1, balance_minor=100_000_000, password=password)
    users, wallets = _tagged_wallets(prefix)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            """
            CREATE TEMP TABLE plan ON COMMIT DROP AS
            WITH moves AS (
                SELECT g, CASE WHEN g %% 10 < 2 THEN 2 ELSE 3 + g %% (%(others)s - 1) END AS other
                FROM generate_series(0, %(own)s - 1) g
            )
            SELECT g AS seq, 'TRANSFER'::varchar AS kind,
                CASE WHEN g %% 2 = 0 THEN %(me)s ELSE (%(users)s::bigint[])[other] END AS initiator_id,
                CASE WHEN g %% 2 = 0 THEN %(wallet)s ELSE (%(wallets)s::bigint[])[other] END AS sender,
                CASE WHEN g %% 2 = 0 THEN (%(wallets)s::bigint[])[other] ELSE %(wallet)s END AS receiver,
                (100 * (1 + (g * 101) %% 999))::bigint AS amount, 'bench-search-' || g AS key,
                ''::varchar AS reference, '{}'::jsonb AS metadata,
                (%(notes)s::text[])[1 + g %% 4] AS note,
                {fixture_time} - (%(own)s - g) * (interval '1 day' * %(days)s / %(own)s) AS created_at
            FROM moves
            """.replace("{fixture_time}", FIXTURE_TIME),
            {
                "me": users[0], "wallet": wallets[0], "users": users, "wallets": wallets, "others": others,
                "own": own, "notes": list(SEARCH_NOTES), "days": SEARCH_DAYS,
            },
        )  # fmt: skip
        _apply_plan(cursor, note="note", created_at="created_at")
