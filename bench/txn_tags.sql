-- The index of transactions(reference:) and transactions(metadataKey:, metadataValue:) (wallet/selectors.py,
-- transactions_for_user), until a migration adds it: `bench/run --sql bench/txn_tags.sql`. Why, and what it
-- replaces: bench/RESULTS.md, "Reference and metadata lookups, 10k → 1M".
--
-- A GIN index over who a tagged movement involves (its initiator, sender and receiver: every history row's wallet
-- is one of them) and its tags, so that a lookup reads the viewer's own tagged movements with that value and not
-- everyone's. btree_gin gives GIN the bigint and varchar columns. fastupdate off: a pending list (up to 4 MB under
-- steady inserts) is read in full by every search, by each of the lookup's three scans.
CREATE EXTENSION IF NOT EXISTS btree_gin;
CREATE INDEX IF NOT EXISTS txn_tags ON wallet_transaction USING gin (
    initiator_id int8_ops, sender_wallet_id int8_ops, receiver_wallet_id int8_ops, reference varchar_ops,
    metadata jsonb_path_ops
) WITH (fastupdate = off) WHERE reference <> '' OR metadata <> '{}';
-- The indexes of migration 0014 it replaces: nothing reads them once the lookups use txn_tags (the engine's
-- "reference already used" check reads reference_unique_per_initiator).
DROP INDEX IF EXISTS txn_reference;
DROP INDEX IF EXISTS txn_metadata;
