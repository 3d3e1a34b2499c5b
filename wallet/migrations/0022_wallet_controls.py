"""Controls on wallets (issue 16): freezes, tiers with daily, monthly, balance and per-transaction limits, and
per-wallet overrides; `wallet_post` now refuses on them in its one refusal evaluator, under the wallets' locks."""

import importlib
from decimal import Decimal

import django.db.models.deletion
import django.utils.timezone
import wallet.fields
import wallet.money
from django.conf import settings
from django.db import migrations, models

# The reverse restores 0014's function.
REVERSE = importlib.import_module("wallet.migrations.0014_transaction_reference_metadata").ENGINE

# wallet_post of 0014, now refusing (recorded FAILED, nothing moves):
# - WALLET_FROZEN: a debit of a wallet frozen for DEBITS or ALL, a credit of one frozen for CREDITS or ALL (read from
#   `frozen_scope` on the locked row: no extra query), a hold's capture alike; a hold's release never;
# - TRANSACTION_LIMIT_EXCEEDED: an outgoing amount over the wallet's per-transaction maximum;
# - MONTHLY_LIMIT_EXCEEDED: the month's outgoing total (kept on the row like the day's) past the monthly limit;
# - BALANCE_LIMIT_EXCEEDED: a credit that would take a customer's balance past its maximum;
# and charging the fee of the FeeRule that applies, as its own leg from its payer to a FEES shard (locked with the
# movement's wallets), stored in `wallet_transaction.fee`.
# Each limit is the wallet's override, else its tier's (joined to the locked rows by primary key).
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
    month_start date := date_trunc('month', (request->>'today')::date)::date;
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
    t_fee bigint[];
    t_fee_payer bigint[];
    t_fees_account bigint[];
    fee_rule wallet_feerule%ROWTYPE;
    -- Per locked (or read) wallet, by position in w_id.
    w_id bigint[];
    w_kind text[];
    w_currency text[];
    w_balance bigint[];
    w_held bigint[];
    w_spent bigint[];
    w_limit bigint[];
    w_frozen text[];
    w_spent_month bigint[];
    w_monthly bigint[];
    w_max_balance bigint[];
    w_per_transaction bigint[];
    w_projected bigint[];
    w_tier text[];
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
        -- A fee may apply: its payer (the sender; for a top-up the credited wallet) and a FEES shard picked by the
        -- payer, locked with the rest. Which rule applies depends on the payer's tier, read under the lock (step 4).
        t_fee[i] := 0;
        IF t_hold[i] IS NULL AND NOT (item->>'pending')::boolean
                AND EXISTS (SELECT 1 FROM wallet_feerule WHERE kind = t_kind[i] AND active) THEN
            t_fee_payer[i] := CASE WHEN t_kind[i] = 'ADD_MONEY' THEN t_credit[i] ELSE t_debit[i] END;
            IF t_fee_payer[i] IS NOT NULL THEN
                t_fees_account[i] := wallet_system_account('FEES', (t_fee_payer[i] % shards)::integer, default_currency);
            END IF;
        END IF;
    END LOOP;

    -- 2. Lock every wallet the request touches, the initiator's included, in ascending id order.
    lock_ids := ARRAY(
        SELECT DISTINCT x FROM unnest(array_append(t_debit || t_credit || t_fees_account, initiator_wallet)) AS x
        WHERE x IS NOT NULL ORDER BY x
    );
    lock_started := clock_timestamp();
    PERFORM 1 FROM wallet_wallet WHERE id = ANY(lock_ids) ORDER BY id FOR UPDATE;
    lock_wait := extract(epoch FROM clock_timestamp() - lock_started);
    -- Where and how it ran, for the caller's metrics and the tests (one server connection, its bounds).
    session := jsonb_build_object('backend', pg_backend_pid(), 'lock_wait', lock_wait,
        'lock_timeout', current_setting('lock_timeout'), 'statement_timeout', current_setting('statement_timeout'));
    -- With each locked row: its freezes' union and its limits, a per-wallet override winning over the tier's
    -- (a NULL limit is none; system accounts have none and are never frozen).
    SELECT array_agg(w.id ORDER BY w.id), array_agg(w.kind ORDER BY w.id), array_agg(w.currency ORDER BY w.id),
           array_agg(w.balance ORDER BY w.id), array_agg(w.held ORDER BY w.id),
           array_agg(CASE WHEN w.spent_on = today THEN w.spent_today ELSE 0 END ORDER BY w.id),
           array_agg(w.daily_transfer_limit ORDER BY w.id), array_agg(w.last_entry_hash ORDER BY w.id),
           array_agg(CASE WHEN w.kind = 'CUSTOMER' THEN w.frozen_scope ELSE '' END ORDER BY w.id),
           array_agg(CASE WHEN w.spent_month = month_start THEN w.spent_this_month ELSE 0 END ORDER BY w.id),
           array_agg(CASE WHEN w.kind = 'CUSTOMER' THEN coalesce(w.monthly_limit_override, t.monthly_limit) END
               ORDER BY w.id),
           array_agg(CASE WHEN w.kind = 'CUSTOMER' THEN coalesce(w.max_balance_override, t.max_balance) END
               ORDER BY w.id),
           array_agg(CASE WHEN w.kind = 'CUSTOMER' THEN coalesce(w.per_transaction_override, t.per_transaction_max)
               END ORDER BY w.id),
           array_agg(w.tier_id ORDER BY w.id)
        INTO w_id, w_kind, w_currency, w_balance, w_held, w_spent, w_limit, w_head, w_frozen, w_spent_month,
            w_monthly, w_max_balance, w_per_transaction, w_tier
        FROM wallet_wallet w JOIN wallet_tier t ON t.code = w.tier_id WHERE w.id = ANY(lock_ids);
    w_changed := array_fill(false, ARRAY[cardinality(w_id)]);
    w_reserved_known := w_changed;
    w_available := w_balance;
    w_projected := w_balance;  -- each balance as the transfers accepted so far leave it (for the balance limit)

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
            -- A capture moves the payer's money to the receiver: refused (recorded FAILED, the hold stays active)
            -- while the payer's debits or the receiver's credits are frozen, or past the receiver's balance limit.
            -- A release only returns the payer's own money, so freezes never stop it.
            IF t_kind[i] = 'HOLD_CAPTURE' THEN
                p := array_position(w_id, t_debit[i]);
                q := array_position(w_id, t_credit[i]);
                IF w_frozen[p] IN ('DEBITS', 'ALL') OR w_frozen[q] IN ('CREDITS', 'ALL') THEN
                    t_refusal[i] := 'WALLET_FROZEN';
                ELSIF w_projected[q] + t_amount[i] > w_max_balance[q] THEN
                    t_refusal[i] := 'BALANCE_LIMIT_EXCEEDED';
                ELSE
                    w_projected[p] := w_projected[p] - t_amount[i];
                    w_projected[q] := w_projected[q] + t_amount[i];
                END IF;
            END IF;
            CONTINUE;
        END IF;
        p := array_position(w_id, t_debit[i]);
        q := array_position(w_id, t_credit[i]);
        IF refusal IS NULL AND w_currency[p] <> w_currency[q] THEN
            refusal := 'CURRENCY_MISMATCH';
        END IF;
        -- Freezes, read from the locked rows: a freeze committed before this lock was taken is seen here.
        IF refusal IS NULL AND (w_frozen[p] IN ('DEBITS', 'ALL') OR w_frozen[q] IN ('CREDITS', 'ALL')) THEN
            refusal := 'WALLET_FROZEN';
        END IF;
        IF refusal IS NULL AND (item->>'outgoing')::boolean AND t_amount[i] > w_per_transaction[p] THEN
            refusal := 'TRANSACTION_LIMIT_EXCEEDED';
        END IF;
        -- The fee, in minor units: the percentage of the amount rounded half up (away from zero) to a whole minor
        -- unit, plus the fixed part, then clamped to [minimum, maximum] (a NULL bound is none: greatest() and
        -- least() skip NULLs); a top-up's fee less than its amount. wallet/services/controls.py:fee_quote agrees.
        IF refusal IS NULL AND t_fees_account[i] IS NOT NULL THEN
            SELECT * INTO fee_rule FROM wallet_feerule r
                WHERE r.kind = t_kind[i] AND r.active
                    AND (r.tier_id = w_tier[array_position(w_id, t_fee_payer[i])] OR r.tier_id IS NULL)
                ORDER BY r.tier_id IS NULL, r.id LIMIT 1;
            IF FOUND THEN
                t_fee[i] := least(greatest(round(t_amount[i] * fee_rule.percent / 100) + fee_rule.fixed,
                    fee_rule.minimum), fee_rule.maximum);
                IF t_kind[i] = 'ADD_MONEY' THEN  -- it comes out of the amount, which still credits a cent
                    t_fee[i] := least(t_fee[i], t_amount[i] - 1);
                END IF;
            END IF;
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
            -- The sender's fee is covered too (a top-up's comes out of the amount it credits).
            IF w_available[p] < t_amount[i] + (CASE WHEN t_fee_payer[i] = t_debit[i] THEN t_fee[i] ELSE 0 END) THEN
                refusal := 'INSUFFICIENT_FUNDS';
            END IF;
        END IF;
        IF refusal IS NULL AND (item->>'outgoing')::boolean AND w_spent[p] + t_amount[i] > w_limit[p] THEN
            refusal := 'DAILY_LIMIT_EXCEEDED';
        END IF;
        -- The month's outgoing total, kept like the day's (w_spent) on the row.
        IF refusal IS NULL AND (item->>'outgoing')::boolean AND w_spent_month[p] + t_amount[i] > w_monthly[p] THEN
            refusal := 'MONTHLY_LIMIT_EXCEEDED';
        END IF;
        -- The credited wallet's balance limit: top-ups and incoming transfers alike (a hold credits nobody yet).
        IF refusal IS NULL AND NOT (item->>'pending')::boolean AND w_projected[q] + t_amount[i]
                - (CASE WHEN t_fee_payer[i] = t_credit[i] THEN t_fee[i] ELSE 0 END) > w_max_balance[q] THEN
            refusal := 'BALANCE_LIMIT_EXCEEDED';
        END IF;
        IF refusal IS NULL THEN
            w_available[p] := w_available[p] - t_amount[i];
            w_projected[p] := w_projected[p] - t_amount[i];
            IF NOT (item->>'pending')::boolean THEN
                w_projected[q] := w_projected[q] + t_amount[i];
            END IF;
            IF t_fee[i] <> 0 THEN
                w_projected[array_position(w_id, t_fee_payer[i])] :=
                    w_projected[array_position(w_id, t_fee_payer[i])] - t_fee[i];
                IF t_fee_payer[i] = t_debit[i] THEN
                    w_available[p] := w_available[p] - t_fee[i];
                END IF;
            END IF;
            IF (item->>'outgoing')::boolean THEN
                w_spent[p] := w_spent[p] + t_amount[i];
                w_spent_month[p] := w_spent_month[p] + t_amount[i];
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
        IF t_refusal[i] IS NOT NULL THEN
            t_fee[i] := 0;  -- a refused movement (a linked batch's too) charges nothing
        END IF;
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
            -- The fee: its own leg to the FEES shard, taken from its payer's entry (one entry per wallet and
            -- layer of a transaction): the sender's carries amount plus fee, a top-up's credit amount less fee.
            IF t_fee[i] <> 0 THEN
                IF t_fee_payer[i] = t_debit[i] THEN
                    leg_deltas[1] := leg_deltas[1] - t_fee[i];
                ELSE
                    leg_deltas[2] := leg_deltas[2] - t_fee[i];
                END IF;
                leg_wallets := leg_wallets || t_fees_account[i];
                leg_deltas := leg_deltas || t_fee[i];
                leg_pendings := leg_pendings || false;
            END IF;
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
                       array_append(w_available, balance), array_append(w_changed, false),
                       array_append(w_spent_month, 0::bigint)
                    INTO w_id, w_kind, w_currency, w_balance, w_held, w_spent, w_limit, w_head, w_available, w_changed,
                        w_spent_month
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
            w_changed[p] := true;  -- its daily and monthly counters (w_spent, w_spent_month) moved in step 4
        END IF;
        ev_type := ev_type || CASE t_status[i] WHEN 'SUCCESS' THEN 'transaction.succeeded'
            WHEN 'FAILED' THEN 'transaction.failed' ELSE 'transaction.pending' END;
        ev_payload := ev_payload || jsonb_build_object('schema_version', 1, 'transaction_id', t_id[i],
            'kind', t_kind[i], 'status', t_status[i], 'failure_code', t_refusal[i],
            'amount', wallet_money_text(t_amount[i], places), 'fee', wallet_money_text(t_fee[i], places),
            'currency', t_currency[i],
            'initiator_id', initiator, 'sender_wallet_id', t_debit[i], 'receiver_wallet_id', t_receiver[i],
            'original_transaction_id', t_original[i],
            'expires_at', CASE WHEN t_expires[i] IS NOT NULL THEN item->>'expires_at_text' END,
            'entries', entries, 'reference', nullif(t_reference[i], ''), 'metadata', t_metadata[i],
            'created_at', request->>'now_text');
    END LOOP;

    -- 6. One statement per table, in id order (each chain grows in entry-id order).
    WITH written AS (
        INSERT INTO wallet_transaction (id, kind, status, amount, fee, currency, initiator_id, sender_wallet_id,
                receiver_wallet_id, expires_at, original_id, idempotency_key, request_fingerprint, failure_code, note,
                reference, metadata, created_at)
            SELECT t.id, t.kind, t.status, t.amount, t.fee, t.currency, initiator, t.debit, t.receiver, t.expires,
                    t.original, t.key, fingerprint, coalesce(t.refusal, ''), t.note, t.reference, t.metadata, moment
                FROM unnest(t_id, t_kind, t_status, t_amount, t_fee, t_currency, t_debit, t_receiver, t_expires,
                    t_original, t_key, t_refusal, t_note, t_reference, t_metadata)
                    AS t(id, kind, status, amount, fee, currency, debit, receiver, expires, original, key, refusal,
                        note, reference, metadata)
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
            spent_on = CASE WHEN v.spent <> 0 OR w.spent_on = today THEN today ELSE w.spent_on END,
            spent_this_month = CASE WHEN v.month_spent <> 0 OR w.spent_month = month_start THEN v.month_spent
                ELSE w.spent_this_month END,
            spent_month = CASE WHEN v.month_spent <> 0 OR w.spent_month = month_start THEN month_start
                ELSE w.spent_month END
        FROM unnest(w_id, w_balance, w_held, w_head, w_spent, w_spent_month, w_changed)
            AS v(id, balance, held, head, spent, month_spent, changed)
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


def seed_tiers(apps, schema_editor):
    """BASIC has today's limits (so nothing changes by default); existing wallets whose daily limit staff changed
    keep it as their daily override."""
    Tier = apps.get_model("wallet", "Tier")
    Wallet = apps.get_model("wallet", "Wallet")
    default_daily = settings.WALLET_DAILY_TRANSFER_LIMIT
    Tier.objects.create(code="BASIC", daily_limit=default_daily)
    Tier.objects.create(
        code="VERIFIED",
        daily_limit=Decimal("50000.00"),
        monthly_limit=Decimal("200000.00"),
        max_balance=Decimal("500000.00"),
        per_transaction_max=Decimal("25000.00"),
    )
    Tier.objects.create(
        code="BUSINESS",
        daily_limit=Decimal("250000.00"),
        monthly_limit=Decimal("2000000.00"),
        max_balance=None,
        per_transaction_max=Decimal("100000.00"),
    )
    customers = Wallet.objects.filter(kind="CUSTOMER").exclude(daily_transfer_limit=default_daily)
    customers.update(daily_limit_override=models.F("daily_transfer_limit"))


class Migration(migrations.Migration):

    dependencies = [
        ('wallet', '0021_standing_orders'),
    ]

    operations = [
        migrations.CreateModel(
            name='Tier',
            fields=[
                ('code', models.CharField(max_length=32, primary_key=True, serialize=False)),
                ('daily_limit', wallet.fields.MoneyField()),
                ('monthly_limit', wallet.fields.MoneyField(blank=True, null=True)),
                ('max_balance', wallet.fields.MoneyField(blank=True, null=True)),
                ('per_transaction_max', wallet.fields.MoneyField(blank=True, null=True)),
            ],
        ),
        migrations.AddField(
            model_name='wallet',
            name='daily_limit_override',
            field=wallet.fields.MoneyField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='wallet',
            name='frozen_scope',
            field=models.CharField(blank=True, db_default='', default='', max_length=8),
        ),
        migrations.AddField(
            model_name='wallet',
            name='max_balance_override',
            field=wallet.fields.MoneyField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='wallet',
            name='monthly_limit_override',
            field=wallet.fields.MoneyField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='wallet',
            name='per_transaction_override',
            field=wallet.fields.MoneyField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='wallet',
            name='spent_month',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='wallet',
            name='spent_this_month',
            field=wallet.fields.MoneyField(db_default=0, default=wallet.money.zero),
        ),
        migrations.RunPython(seed_tiers, migrations.RunPython.noop),
        migrations.AddField(
            model_name='wallet',
            name='tier',
            field=models.ForeignKey(db_default='BASIC', default='BASIC', on_delete=django.db.models.deletion.PROTECT, related_name='wallets', to='wallet.tier'),
        ),
        migrations.CreateModel(
            name='WalletFreeze',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('scope', models.CharField(choices=[('DEBITS', 'Debits'), ('CREDITS', 'Credits'), ('ALL', 'All')], max_length=8)),
                ('reason_code', models.CharField(choices=[('FRAUD_SUSPECTED', 'Fraud Suspected'), ('COMPLIANCE_REVIEW', 'Compliance Review'), ('CUSTOMER_REQUEST', 'Customer Request'), ('LOST_DEVICE', 'Lost Device'), ('OTHER', 'Other')], max_length=32)),
                ('note', models.CharField(blank=True, default='', max_length=500)),
                ('set_by_staff', models.BooleanField(default=False)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('lifted_at', models.DateTimeField(blank=True, null=True)),
                ('lifted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('set_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('wallet', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='freezes', to='wallet.wallet')),
                ('idempotency_key', models.CharField(blank=True, default='', max_length=100)),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('lifted_at__isnull', True)), fields=['wallet'], name='freeze_active_by_wallet')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('idempotency_key', ''), _negated=True), fields=('set_by', 'idempotency_key'), name='freeze_key_per_setter')],
            },
        ),
        migrations.AddField(
            model_name='transaction',
            name='fee',
            field=wallet.fields.MoneyField(db_default=0, default=wallet.money.zero),
        ),
        migrations.AlterField(
            model_name='wallet',
            name='kind',
            field=models.CharField(choices=[('CUSTOMER', 'Customer'), ('FUNDING', 'Funding (system)'), ('PAYOUTS', 'Payouts (system)'), ('HOLDS', 'Holds (system)'), ('FEES', 'Fees (system)')], default='CUSTOMER', max_length=16),
        ),
        migrations.CreateModel(
            name='FeeRule',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('ADD_MONEY', 'Add Money'), ('TRANSFER', 'Transfer'), ('PAY_BY_MOBILE', 'Pay By Mobile'), ('WITHDRAWAL', 'Withdrawal')], max_length=16)),
                ('percent', models.DecimalField(decimal_places=4, default=0, max_digits=7)),
                ('fixed', wallet.fields.MoneyField(default=wallet.money.zero)),
                ('minimum', wallet.fields.MoneyField(blank=True, null=True)),
                ('maximum', wallet.fields.MoneyField(blank=True, null=True)),
                ('active', models.BooleanField(default=True)),
                ('tier', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='fee_rules', to='wallet.tier')),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('active', True)), fields=['kind'], name='fee_rule_active_by_kind')],
                'constraints': [models.CheckConstraint(condition=models.Q(('fixed__gte', 0), ('percent__gte', 0), ('percent__lte', 100), models.Q(('minimum__isnull', True), ('minimum__gte', 0), _connector='OR'), models.Q(('maximum__isnull', True), ('minimum__isnull', True), ('maximum__gte', models.F('minimum')), _connector='OR')), name='fee_rule_sane')],
            },
        ),
        migrations.RunSQL(ENGINE, REVERSE),
    ]
