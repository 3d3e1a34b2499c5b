"""References and metadata on transactions: the client's own id for a movement (unique per initiator among
movements that took effect) and a small flat map of its strings, both filterable in the history."""

import importlib

import django.contrib.postgres.indexes
from django.db import migrations, models

_0012 = importlib.import_module("wallet.migrations.0012_posting_engine").ENGINE
REVERSE = "DROP FUNCTION wallet_post(jsonb, bytea, bytea);\n" + _0012[_0012.index("CREATE FUNCTION wallet_post(") :]

# wallet_post of 0012_posting_engine, now storing each transfer's `reference` and `metadata`, refusing a reference
# the initiator already used in a movement that took effect (REFERENCE_ALREADY_USED, recorded FAILED), and carrying
# both in the event. The reverse restores 0012's function.
ENGINE = r"""
CREATE OR REPLACE FUNCTION wallet_post(request jsonb, inner_key bytea, outer_key bytea) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    initiator bigint := (request->>'initiator')::bigint;
    initiator_wallet bigint := (request->>'initiator_wallet')::bigint;
    request_key text := request->>'key';
    fingerprint text := request->>'fingerprint';
    is_batch boolean := (request->>'batch')::boolean;
    is_linked boolean := (request->>'linked')::boolean;
    moment timestamptz := (request->>'now')::timestamptz;
    today date := (request->>'today')::date;
    places integer := (request->>'places')::integer;
    shards integer := (request->>'shards')::integer;
    default_currency text := request->>'currency';
    transfers jsonb := request->'transfers';
    transfer_count integer := jsonb_array_length(request->'transfers');
    item jsonb;
    -- Per transfer, by position (1-based).
    t_kind text[];
    t_amount bigint[];
    t_debit bigint[];
    t_credit bigint[];
    t_hold bigint[];
    t_hold_amount bigint[];
    t_original bigint[];
    t_refusal text[];
    t_status text[];
    t_id bigint[];
    t_key text[];
    t_reference text[];
    t_metadata jsonb[];
    -- Per locked (or read) wallet, by position in w_id.
    w_id bigint[];
    w_kind text[];
    w_currency text[];
    w_balance bigint[];
    w_held bigint[];
    w_spent bigint[];
    w_limit bigint[];
    w_head text[];
    w_available bigint[];
    w_reserved_known boolean[];
    w_changed boolean[];
    holds_account bigint;
    lock_ids bigint[];
    lock_started timestamptz;
    lock_wait double precision;
    session jsonb;
    stored jsonb;
    stored_count integer;
    i integer;
    p integer;
    q integer;
    found_wallet bigint;
    receiver_user bigint;
    refusal text;
    resolved boolean;
    hold_row wallet_transaction%ROWTYPE;
    j integer;
    leg_wallets bigint[];
    leg_deltas bigint[];
    leg_pendings boolean[];
    t_receiver bigint[];
    t_expires timestamptz[];
    t_note text[];
    t_currency text[];
    e_txn bigint[];
    e_wallet bigint[];
    e_delta bigint[];
    e_pending boolean[];
    e_balance bigint[];
    e_previous text[];
    e_hash text[];
    party_txns bigint[];
    party_wallets bigint[];
    ev_type text[];
    ev_payload jsonb[];
    chain_position integer;
    entries jsonb;
    previous text;
    digest text;
BEGIN
    -- 1. Resolve each transfer's wallets without locks (receivers by name, system shards, the hold it resolves).
    FOR i IN 1 .. transfer_count LOOP
        item := transfers->(i - 1);
        t_kind[i] := item->>'kind';
        t_amount[i] := (item->>'amount')::bigint;
        t_debit[i] := (item->>'debit')::bigint;
        t_credit[i] := (item->>'credit')::bigint;
        t_original[i] := (item->>'original')::bigint;
        t_hold[i] := coalesce((item->>'post_pending')::bigint, (item->>'void_pending')::bigint);
        t_refusal[i] := NULL;
        t_reference[i] := coalesce(item->>'reference', '');
        t_metadata[i] := coalesce(item->'metadata', '{}'::jsonb);
        IF t_hold[i] IS NOT NULL THEN
            SELECT * INTO hold_row FROM wallet_transaction WHERE id = t_hold[i];
            t_debit[i] := hold_row.sender_wallet_id;
            t_credit[i] := hold_row.receiver_wallet_id;
            t_hold_amount[i] := hold_row.amount;
            t_original[i] := t_hold[i];
        ELSIF item ? 'credit_username' OR item ? 'credit_mobile' THEN
            IF item ? 'credit_username' THEN
                SELECT u.id, w.id INTO receiver_user, found_wallet FROM wallet_user u JOIN wallet_wallet w ON w.user_id = u.id
                    WHERE lower(u.username) = item->>'credit_username' AND u.is_active;
            ELSE
                SELECT u.id, w.id INTO receiver_user, found_wallet FROM wallet_user u JOIN wallet_wallet w ON w.user_id = u.id
                    WHERE u.mobile_number = item->>'credit_mobile' AND u.is_active;
            END IF;
            t_credit[i] := found_wallet;
            IF found_wallet IS NULL THEN
                t_refusal[i] := 'RECEIVER_NOT_FOUND';
            ELSIF receiver_user = initiator THEN
                t_refusal[i] := 'SELF_TRANSFER';
            END IF;
        END IF;
        IF item ? 'debit_system' THEN
            t_debit[i] := wallet_system_account(item->>'debit_system', (t_credit[i] % shards)::integer, default_currency);
        END IF;
        IF item ? 'credit_system' THEN
            t_credit[i] := wallet_system_account(item->>'credit_system', (t_debit[i] % shards)::integer, default_currency);
        END IF;
    END LOOP;

    -- 2. Lock every wallet the request touches, the initiator's included, in ascending id order.
    lock_ids := ARRAY(
        SELECT DISTINCT x FROM unnest(array_append(t_debit || t_credit, initiator_wallet)) AS x
        WHERE x IS NOT NULL ORDER BY x
    );
    lock_started := clock_timestamp();
    PERFORM 1 FROM wallet_wallet WHERE id = ANY(lock_ids) ORDER BY id FOR UPDATE;
    lock_wait := extract(epoch FROM clock_timestamp() - lock_started);
    -- Where and how it ran, for the caller's metrics and the tests (one server connection, its bounds).
    session := jsonb_build_object('backend', pg_backend_pid(), 'lock_wait', lock_wait,
        'lock_timeout', current_setting('lock_timeout'), 'statement_timeout', current_setting('statement_timeout'));
    SELECT array_agg(id ORDER BY id), array_agg(kind ORDER BY id), array_agg(currency ORDER BY id),
           array_agg(balance ORDER BY id), array_agg(held ORDER BY id),
           array_agg(CASE WHEN spent_on = today THEN spent_today ELSE 0 END ORDER BY id),
           array_agg(daily_transfer_limit ORDER BY id), array_agg(last_entry_hash ORDER BY id)
        INTO w_id, w_kind, w_currency, w_balance, w_held, w_spent, w_limit, w_head
        FROM wallet_wallet WHERE id = ANY(lock_ids);
    w_changed := array_fill(false, ARRAY[cardinality(w_id)]);
    w_reserved_known := w_changed;
    w_available := w_balance;

    -- 3. The request's key, under the initiator's lock: its stored outcome is replayed, a reuse refused.
    --    A single movement stores its key as given, a batch's transfers as key#0, key#1, ...: one key space.
    SELECT jsonb_agg(to_jsonb(t)) INTO stored FROM wallet_transaction t
        WHERE t.initiator_id = initiator
            AND t.idempotency_key = CASE WHEN is_batch THEN request_key || '#0' ELSE request_key END;
    IF stored IS NULL THEN
        IF EXISTS (SELECT 1 FROM wallet_transaction t WHERE t.initiator_id = initiator
                AND t.idempotency_key = CASE WHEN is_batch THEN request_key ELSE request_key || '#0' END) THEN
            RETURN jsonb_build_object('error', 'IDEMPOTENCY_KEY_REUSED');
        END IF;
    ELSE
        IF stored->0->>'request_fingerprint' <> fingerprint THEN
            RETURN jsonb_build_object('error', 'IDEMPOTENCY_KEY_REUSED');
        END IF;
        IF is_batch THEN
            SELECT jsonb_agg(to_jsonb(t) ORDER BY t.id), count(*) INTO stored, stored_count FROM wallet_transaction t
                WHERE t.initiator_id = initiator AND t.request_fingerprint = fingerprint AND t.idempotency_key = ANY(
                    ARRAY(SELECT request_key || '#' || n FROM generate_series(0, transfer_count - 1) AS n));
            IF stored_count <> transfer_count THEN
                RETURN jsonb_build_object('error', 'IDEMPOTENCY_KEY_REUSED');
            END IF;
        END IF;
        RETURN jsonb_build_object('replayed', true, 'transactions', stored, 'session', session,
            'wallet', (SELECT to_jsonb(w) FROM wallet_wallet w WHERE w.id = initiator_wallet));
    END IF;

    -- 4. Refusals, in order, each transfer seeing the ones before it as moved. A hold's resolution is refused
    --    outright (nothing is recorded) once it was resolved, or expired unless this is the expiry's release.
    FOR i IN 1 .. transfer_count LOOP
        item := transfers->(i - 1);
        refusal := t_refusal[i];
        -- A reference names one movement that took effect: not one the initiator made before, nor an earlier one
        -- of this request.
        IF refusal IS NULL AND t_reference[i] <> '' AND (
            EXISTS (SELECT 1 FROM wallet_transaction WHERE initiator_id = initiator AND reference = t_reference[i]
                AND status IN ('SUCCESS', 'PENDING'))
            OR EXISTS (SELECT 1 FROM generate_series(1, i - 1) AS k
                WHERE t_reference[k] = t_reference[i] AND t_refusal[k] IS NULL)
        ) THEN
            t_refusal[i] := 'REFERENCE_ALREADY_USED';
            CONTINUE;
        END IF;
        IF t_hold[i] IS NOT NULL THEN
            SELECT * INTO hold_row FROM wallet_transaction WHERE id = t_hold[i];
            SELECT EXISTS (SELECT 1 FROM wallet_transaction WHERE original_id = t_hold[i]
                AND kind IN ('HOLD_CAPTURE', 'HOLD_RELEASE') AND status = 'SUCCESS') INTO resolved;
            IF resolved THEN
                RETURN jsonb_build_object('error', 'HOLD_ALREADY_RESOLVED');
            END IF;
            IF moment >= hold_row.expires_at AND NOT coalesce((item->>'expired_release')::boolean, false) THEN
                RETURN jsonb_build_object('error', 'HOLD_EXPIRED');
            END IF;
            CONTINUE;
        END IF;
        p := array_position(w_id, t_debit[i]);
        q := array_position(w_id, t_credit[i]);
        IF refusal IS NULL AND w_currency[p] <> w_currency[q] THEN
            refusal := 'CURRENCY_MISMATCH';
        END IF;
        -- Every reversal of one transaction debits the same wallet, whose lock this holds.
        IF refusal IS NULL AND t_original[i] IS NOT NULL AND (
            SELECT coalesce(sum(amount), 0) FROM wallet_transaction
            WHERE original_id = t_original[i] AND kind = 'REVERSAL' AND status = 'SUCCESS'
        ) + t_amount[i] > (SELECT amount FROM wallet_transaction WHERE id = t_original[i]) THEN
            refusal := 'REVERSAL_EXCEEDS_ORIGINAL';
        END IF;
        IF refusal IS NULL AND w_kind[p] = 'CUSTOMER' THEN
            IF w_held[p] <> 0 AND NOT w_reserved_known[p] THEN
                w_reserved_known[p] := true;
                -- Available: the balance minus what active holds reserve (an expired hold reserves nothing).
                w_available[p] := w_available[p] - w_held[p] + (
                    SELECT coalesce(sum(h.amount), 0) FROM wallet_transaction h
                    WHERE h.kind = 'HOLD' AND h.status = 'PENDING' AND h.sender_wallet_id = t_debit[i]
                        AND h.expires_at <= moment
                        AND NOT EXISTS (SELECT 1 FROM wallet_transaction r WHERE r.original_id = h.id
                            AND r.kind IN ('HOLD_CAPTURE', 'HOLD_RELEASE') AND r.status = 'SUCCESS'));
            END IF;
            IF w_available[p] < t_amount[i] THEN
                refusal := 'INSUFFICIENT_FUNDS';
            END IF;
        END IF;
        IF refusal IS NULL AND (item->>'outgoing')::boolean AND w_spent[p] + t_amount[i] > w_limit[p] THEN
            refusal := 'DAILY_LIMIT_EXCEEDED';
        END IF;
        IF refusal IS NULL THEN
            w_available[p] := w_available[p] - t_amount[i];
            IF (item->>'outgoing')::boolean THEN
                w_spent[p] := w_spent[p] + t_amount[i];
            END IF;
        END IF;
        t_refusal[i] := refusal;
    END LOOP;
    IF is_linked AND EXISTS (SELECT 1 FROM unnest(t_refusal) AS r WHERE r IS NOT NULL) THEN
        FOR i IN 1 .. transfer_count LOOP
            t_refusal[i] := coalesce(t_refusal[i], 'LINKED_TRANSFER_FAILED');
        END LOOP;
    END IF;

    -- 5. Each transfer's legs, applied to the wallets in memory and sealed into their chains (ids are taken from
    --    the sequences first, so that every row of the request is written by one statement per table, below).
    t_id := ARRAY(SELECT nextval(pg_get_serial_sequence('wallet_transaction', 'id'))
        FROM generate_series(1, transfer_count));
    FOR i IN 1 .. transfer_count LOOP
        item := transfers->(i - 1);
        p := array_position(w_id, t_debit[i]);
        t_status[i] := CASE WHEN t_refusal[i] IS NOT NULL THEN 'FAILED'
                            WHEN (item->>'pending')::boolean THEN 'PENDING' ELSE 'SUCCESS' END;
        t_key[i] := CASE WHEN is_batch THEN request_key || '#' || (i - 1) ELSE request_key END;
        t_receiver[i] := CASE WHEN t_kind[i] = 'HOLD_RELEASE' THEN t_debit[i] ELSE t_credit[i] END;
        t_expires[i] := CASE WHEN t_status[i] = 'PENDING' THEN (item->>'expires_at')::timestamptz END;
        t_note[i] := coalesce(item->>'note', '');
        t_currency[i] := w_currency[p];

        IF t_refusal[i] IS NOT NULL THEN
            leg_wallets := '{}';
        ELSIF t_hold[i] IS NOT NULL OR (item->>'pending')::boolean THEN
            IF holds_account IS NULL THEN
                holds_account := wallet_system_account('HOLDS', 0, default_currency);
            END IF;
            IF t_hold[i] IS NULL THEN  -- a hold: reserve
                leg_wallets := ARRAY[t_debit[i], holds_account];
                leg_deltas := ARRAY[-t_amount[i], t_amount[i]];
                leg_pendings := ARRAY[true, true];
            ELSE  -- its release, and for a capture the settlement
                leg_wallets := ARRAY[t_debit[i], holds_account];
                leg_deltas := ARRAY[t_hold_amount[i], -t_hold_amount[i]];
                leg_pendings := ARRAY[true, true];
                IF t_kind[i] = 'HOLD_CAPTURE' THEN
                    leg_wallets := leg_wallets || ARRAY[t_debit[i], t_credit[i]];
                    leg_deltas := leg_deltas || ARRAY[-t_amount[i], t_amount[i]];
                    leg_pendings := leg_pendings || ARRAY[false, false];
                END IF;
            END IF;
        ELSE
            leg_wallets := ARRAY[t_debit[i], t_credit[i]];
            leg_deltas := ARRAY[-t_amount[i], t_amount[i]];
            leg_pendings := ARRAY[false, false];
        END IF;

        entries := '[]';
        party_wallets := party_wallets || initiator_wallet;
        party_txns := party_txns || t_id[i];
        IF t_refusal[i] IS NULL AND (item->>'pending')::boolean THEN
            party_wallets := party_wallets || t_credit[i];  -- the hold's receiver sees it while it is pending
            party_txns := party_txns || t_id[i];
        END IF;
        FOR j IN 1 .. coalesce(cardinality(leg_wallets), 0) LOOP
            q := array_position(w_id, leg_wallets[j]);
            IF q IS NULL THEN
                -- The holds account: not locked (it would serialise every hold), read for its balance only.
                SELECT array_append(w_id, id), array_append(w_kind, kind), array_append(w_currency, currency),
                       array_append(w_balance, balance), array_append(w_held, held), array_append(w_spent, 0::bigint),
                       array_append(w_limit, daily_transfer_limit), array_append(w_head, last_entry_hash),
                       array_append(w_available, balance), array_append(w_changed, false)
                    INTO w_id, w_kind, w_currency, w_balance, w_held, w_spent, w_limit, w_head, w_available, w_changed
                    FROM wallet_wallet WHERE id = leg_wallets[j];
                q := cardinality(w_id);
            END IF;
            IF NOT leg_pendings[j] THEN
                w_balance[q] := w_balance[q] + leg_deltas[j];
                w_changed[q] := true;
            ELSIF w_kind[q] = 'CUSTOMER' THEN
                w_held[q] := w_held[q] - leg_deltas[j];
                w_changed[q] := true;
            END IF;
            -- The holds account's entries join the chain of the transaction's sender, whose row is locked.
            chain_position := CASE WHEN w_kind[q] = 'HOLDS' THEN p ELSE q END;
            previous := w_head[chain_position];
            digest := wallet_entry_hash(inner_key, outer_key, previous, leg_wallets[j], t_id[i], leg_deltas[j],
                leg_pendings[j], w_balance[q], moment);
            w_head[chain_position] := digest;
            w_changed[chain_position] := true;
            e_txn := e_txn || t_id[i];
            e_wallet := e_wallet || leg_wallets[j];
            e_delta := e_delta || leg_deltas[j];
            e_pending := e_pending || leg_pendings[j];
            e_balance := e_balance || w_balance[q];
            e_previous := e_previous || previous;
            e_hash := e_hash || digest;
            IF w_kind[q] = 'CUSTOMER' THEN
                party_wallets := party_wallets || leg_wallets[j];
                party_txns := party_txns || t_id[i];
            END IF;
            entries := entries || jsonb_build_object('wallet_id', leg_wallets[j],
                'delta', wallet_money_text(leg_deltas[j], places), 'pending', leg_pendings[j],
                'balance_after', wallet_money_text(w_balance[q], places));
        END LOOP;
        IF t_refusal[i] IS NULL AND (item->>'outgoing')::boolean THEN
            w_changed[p] := true;  -- its daily-limit counter (w_spent) moved in step 4
        END IF;
        ev_type := ev_type || CASE t_status[i] WHEN 'SUCCESS' THEN 'transaction.succeeded'
            WHEN 'FAILED' THEN 'transaction.failed' ELSE 'transaction.pending' END;
        ev_payload := ev_payload || jsonb_build_object('schema_version', 1, 'transaction_id', t_id[i],
            'kind', t_kind[i], 'status', t_status[i], 'failure_code', t_refusal[i],
            'amount', wallet_money_text(t_amount[i], places), 'currency', t_currency[i],
            'initiator_id', initiator, 'sender_wallet_id', t_debit[i], 'receiver_wallet_id', t_receiver[i],
            'original_transaction_id', t_original[i],
            'expires_at', CASE WHEN t_expires[i] IS NOT NULL THEN item->>'expires_at_text' END,
            'entries', entries, 'reference', nullif(t_reference[i], ''), 'metadata', t_metadata[i],
            'created_at', request->>'now_text');
    END LOOP;

    -- 6. One statement per table, in id order (each chain grows in entry-id order).
    WITH written AS (
        INSERT INTO wallet_transaction (id, kind, status, amount, currency, initiator_id, sender_wallet_id,
                receiver_wallet_id, expires_at, original_id, idempotency_key, request_fingerprint, failure_code, note,
                reference, metadata, created_at)
            SELECT t.id, t.kind, t.status, t.amount, t.currency, initiator, t.debit, t.receiver, t.expires, t.original,
                    t.key, fingerprint, coalesce(t.refusal, ''), t.note, t.reference, t.metadata, moment
                FROM unnest(t_id, t_kind, t_status, t_amount, t_currency, t_debit, t_receiver, t_expires, t_original,
                    t_key, t_refusal, t_note, t_reference, t_metadata)
                    AS t(id, kind, status, amount, currency, debit, receiver, expires, original, key, refusal, note,
                        reference, metadata)
                ORDER BY t.id
            RETURNING *
    )
    SELECT jsonb_agg(to_jsonb(written) ORDER BY written.id) INTO stored FROM written;
    INSERT INTO wallet_ledgerentry (transaction_id, wallet_id, delta, pending, balance_after, created_at,
            previous_hash, entry_hash)
        SELECT e.txn, e.wallet, e.delta, e.pending, e.balance, moment, e.previous, e.hash
            FROM unnest(e_txn, e_wallet, e_delta, e_pending, e_balance, e_previous, e_hash) WITH ORDINALITY
                AS e(txn, wallet, delta, pending, balance, previous, hash, n)
            ORDER BY e.n;
    INSERT INTO wallet_transactionparty (transaction_id, wallet_id)
        SELECT DISTINCT x.txn, x.wallet FROM unnest(party_txns, party_wallets) AS x(txn, wallet)
            ORDER BY x.txn, x.wallet;
    INSERT INTO wallet_outboxevent (event_id, event_type, transaction_id, payload, created_at)
        SELECT gen_random_uuid(), x.type, x.txn, x.payload, moment
            FROM unnest(ev_type, t_id, ev_payload) WITH ORDINALITY AS x(type, txn, payload, n) ORDER BY x.n;
    UPDATE wallet_wallet w SET balance = v.balance, held = v.held, last_entry_hash = v.head,
            spent_today = CASE WHEN v.spent <> 0 OR w.spent_on = today THEN v.spent ELSE w.spent_today END,
            spent_on = CASE WHEN v.spent <> 0 OR w.spent_on = today THEN today ELSE w.spent_on END
        FROM unnest(w_id, w_balance, w_held, w_head, w_spent, w_changed) AS v(id, balance, held, head, spent, changed)
        WHERE w.id = v.id AND v.changed;

    RETURN jsonb_build_object(
        'replayed', false,
        'session', session,
        'transactions', stored,
        'wallet', (SELECT to_jsonb(w) FROM wallet_wallet w WHERE w.id = initiator_wallet),
        'events', CASE WHEN (request->>'return_events')::boolean THEN (
            SELECT jsonb_agg(to_jsonb(e) ORDER BY e.id) FROM wallet_outboxevent e WHERE e.transaction_id = ANY(t_id))
        END);
END;
$$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('wallet', '0013_receipt_requested_at'),
    ]

    operations = [
        migrations.AddField(
            model_name='transaction',
            name='metadata',
            field=models.JSONField(blank=True, db_default={}, default=dict),
        ),
        migrations.AddField(
            model_name='transaction',
            name='reference',
            field=models.CharField(blank=True, db_default='', default='', max_length=100),
        ),
        migrations.AddIndex(
            model_name='transaction',
            index=models.Index(condition=models.Q(('reference', ''), _negated=True), fields=['reference'], name='txn_reference'),
        ),
        migrations.AddIndex(
            model_name='transaction',
            index=django.contrib.postgres.indexes.GinIndex(fields=['metadata'], name='txn_metadata', opclasses=['jsonb_path_ops']),
        ),
        migrations.AddConstraint(
            model_name='transaction',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['SUCCESS', 'PENDING']), models.Q(('reference', ''), _negated=True)), fields=('initiator', 'reference'), name='reference_unique_per_initiator'),
        ),
        migrations.RunSQL(ENGINE, REVERSE),
    ]
