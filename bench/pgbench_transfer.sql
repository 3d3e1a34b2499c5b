-- The service's transfer as plain SQL: the database's own limit for the same work.
-- Variables: :first_wallet, :last_wallet (customer wallets), :hot_wallet (0 = spread, else the payer),
-- :hot_receivers (0 = spread, else a hot merchant split into that many sub-wallets from :hot_receiver_first,
-- receiving from random payers: bench/scaling.py).
\set receiver random(:first_wallet, :last_wallet)
\if :hot_wallet > 0
\set payer :hot_wallet
\else
\set payer random(:first_wallet, :last_wallet)
\endif
\if :hot_receivers > 0
\set receiver :hot_receiver_first + random(0, :hot_receivers - 1)
\endif
\if :payer = :receiver
\set receiver :first_wallet + (:receiver - :first_wallet + 1) % (:last_wallet - :first_wallet + 1)
\endif
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
