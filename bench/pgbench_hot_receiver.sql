-- A hot merchant receiving from many payers, its wallet split into :shards sub-wallets (docs/SCALING.md).
-- The same transfer as bench/pgbench_transfer.sql; only who pays whom differs.
-- Variables: :first_wallet, :last_wallet (payers), :hot_first (the first of :shards consecutive sub-wallets).
\set payer random(:first_wallet, :last_wallet)
\set receiver :hot_first + random(0, :shards - 1)
\set low least(:payer, :receiver)
\set high greatest(:payer, :receiver)
BEGIN;
-- Lock both wallets in id order, reading their hash chains' heads (wallet/ledger_chain.py).
SELECT max(last_entry_hash) FILTER (WHERE id = :payer) AS payer_previous,
    max(last_entry_hash) FILTER (WHERE id = :receiver) AS receiver_previous
    FROM (SELECT id, last_entry_hash FROM wallet_wallet WHERE id IN (:low, :high) ORDER BY id FOR UPDATE) locked \gset
INSERT INTO wallet_transaction (kind, status, amount, currency, initiator_id, sender_wallet_id, receiver_wallet_id,
    idempotency_key, request_fingerprint, failure_code, note, created_at)
    SELECT 'TRANSFER', 'SUCCESS', 1, 'USD', user_id, :payer, :receiver, 'pgbench-' || gen_random_uuid(), 'pgbench', '', '', now()
    FROM wallet_wallet WHERE id = :payer
    RETURNING id AS txn \gset
-- Each balance moves with its chain's head: the new entry's HMAC (bench_ledger_entry_hash, bench/fixtures.py).
UPDATE wallet_wallet SET balance = balance - 1, spent_today = spent_today + 1, spent_on = current_date,
    last_entry_hash = bench_ledger_entry_hash(last_entry_hash, id, :txn, -1, false, balance - 1, now())
    WHERE id = :payer RETURNING balance AS payer_balance, last_entry_hash AS payer_hash \gset
UPDATE wallet_wallet SET balance = balance + 1,
    last_entry_hash = bench_ledger_entry_hash(last_entry_hash, id, :txn, 1, false, balance + 1, now())
    WHERE id = :receiver RETURNING balance AS receiver_balance, last_entry_hash AS receiver_hash \gset
INSERT INTO wallet_ledgerentry (transaction_id, wallet_id, delta, pending, balance_after, created_at, previous_hash,
    entry_hash)
    VALUES (:txn, :payer, -1, false, :payer_balance, now(), :payer_previous, :payer_hash),
        (:txn, :receiver, 1, false, :receiver_balance, now(), :receiver_previous, :receiver_hash);
INSERT INTO wallet_transactionparty (transaction_id, wallet_id) VALUES (:txn, :payer), (:txn, :receiver);
INSERT INTO wallet_outboxevent (event_id, event_type, transaction_id, payload, created_at)
    VALUES (gen_random_uuid(), 'transaction.succeeded', :txn, '{"pgbench": true}', now());
COMMIT;
