"""server.db_routers against a real streaming replica of the test database.

The fixture takes a base backup of the running primary (pg_basebackup -R -X stream), starts it as a hot
standby on another port and adds it to Django as the "replica" alias. Pausing the standby's WAL replay
makes replication lag visible and deterministic: whatever is committed afterwards is on the primary only,
so each read shows which database answered it.
"""

import contextlib
import copy
import time
from pathlib import Path
from unittest import mock

import pytest
from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import TransactionTestCase

from scripts import harness
from server.db_routers import HistoryReplicaRouter, history_reads
from tests.conftest import unavailable
from tests.schema import documents as doc
from wallet.models import LedgerEntry, Transaction

pytestmark = pytest.mark.django_db(transaction=True)

REPLICA = "replica"
# A hot standby refuses to start with any of these lower than its primary's.
STANDBY_MINIMUMS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)
WAIT_SECONDS = 20


def _query(alias: str, sql: str, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {WAIT_SECONDS}s waiting for {what}")
        time.sleep(0.02)


@contextlib.contextmanager
def _allowed_in_this_test(alias: str):
    """Adds an alias made at run time to the running test case's `databases`, as Django asks.

    pytest-django's test case class is not reachable from a fixture; while it runs, TransactionTestCase's
    guard on BaseDatabaseWrapper.ensure_connection (which refuses new connections, in any thread, to an
    alias outside `databases`) is a closure over it."""
    guard = BaseDatabaseWrapper.ensure_connection
    test_cases = [
        cell.cell_contents
        for cell in getattr(guard, "__closure__", None) or ()
        if isinstance(cell.cell_contents, type) and issubclass(cell.cell_contents, TransactionTestCase)
    ]
    assert len(test_cases) == 1, "found no running test case to allow the replica in: has Django's guard changed?"
    (test_case,) = test_cases
    with mock.patch.object(test_case, "databases", frozenset(test_case.databases) | {alias}):
        yield


@contextlib.contextmanager
def _replica_alias(host: str, port: int):
    """Django's "replica" database, as DATABASE_REPLICA_URL would configure it, for the duration."""
    replica = copy.deepcopy(connections["default"].settings_dict)  # the test database's NAME and USER
    replica.update(HOST=host, PORT=str(port))
    replica["TEST"] = {**replica.get("TEST", {}), "MIRROR": "default"}
    connections.settings[REPLICA] = replica
    try:
        with _allowed_in_this_test(REPLICA):
            yield
    finally:
        # The live server's request threads close their connections after each request; this is the test's.
        if hasattr(connections._connections, REPLICA):
            connections[REPLICA].close()
            del connections[REPLICA]
        del connections.settings[REPLICA]


def _allow_replication(stack: contextlib.ExitStack) -> None:
    """initdb --auth=trust already lets 127.0.0.1 replicate; otherwise allow it until the test ends."""
    allowed = _query(
        "default",
        "SELECT count(*) FROM pg_hba_file_rules WHERE type = 'host' AND 'replication' = ANY(database) "
        "AND auth_method = 'trust' AND error IS NULL",
    )
    if allowed:
        return
    hba = Path(_query("default", "SHOW hba_file"))
    original = hba.read_text()
    hba.write_text(original + "\nhost replication all 127.0.0.1/32 trust\n")
    _query("default", "SELECT pg_reload_conf()")

    def restore():
        hba.write_text(original)
        _query("default", "SELECT pg_reload_conf()")

    stack.callback(restore)


def _primary_position() -> str:
    """A WAL position on the primary at or past the end of every commit so far, that the replica will reach.

    The throwaway primary commits asynchronously (synchronous_commit=off), so pg_current_wal_lsn(), the write
    position, can be short of the last commits. Read inside a marker transaction, the insert position is past
    them; the marker's own commit (flushed: synchronous) ends beyond it, so a replica that replays it passes it.
    """
    with transaction.atomic(using="default"), connections["default"].cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = on")
        cursor.execute("SELECT pg_current_xact_id()")  # a transaction id, so that COMMIT writes (and flushes) WAL
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        return cursor.fetchone()[0]


class StreamingReplica:
    def __init__(self, port: int):
        self.port = port

    def replayed_up_to(self, lsn: str) -> bool:
        return bool(_query(REPLICA, "SELECT coalesce(pg_last_wal_replay_lsn() >= %s::pg_lsn, false)", [lsn]))

    def received_up_to(self, lsn: str) -> bool:
        return bool(_query(REPLICA, "SELECT coalesce(pg_last_wal_receive_lsn() >= %s::pg_lsn, false)", [lsn]))

    def wait_for_replay(self) -> None:
        """Until the replica has replayed everything committed on the primary so far."""
        target = _primary_position()
        _wait_until(lambda: self.replayed_up_to(target), f"the replica to replay up to {target}")

    def pause(self) -> None:
        # Once requested, no further WAL record is applied (the state turns "paused" at the next one).
        _query(REPLICA, "SELECT pg_wal_replay_pause()")
        assert _query(REPLICA, "SELECT pg_get_wal_replay_pause_state()") in ("pause requested", "paused")

    def resume(self) -> None:
        _query(REPLICA, "SELECT pg_wal_replay_resume()")


@pytest.fixture
def streaming_replica(transactional_db):
    """A hot standby of the test database (which exists by now), as Django's "replica" alias."""
    primary = connections["default"].settings_dict
    host = primary.get("HOST") or "127.0.0.1"
    if host not in ("127.0.0.1", "localhost"):
        unavailable(f"needs the primary on this machine to replicate it (it is on {host})")
    minimums = {name: _query("default", "SELECT current_setting(%s)", [name]) for name in STANDBY_MINIMUMS}

    with contextlib.ExitStack() as stack:
        _allow_replication(stack)
        # Returns once the standby accepts connections, i.e. has reached a consistent state.
        standby = harness.postgres(
            replica_of=f"{host}:{primary['PORT']}",
            settings=tuple(f"{name}={value}" for name, value in minimums.items()),
        )
        stack.callback(standby.stop)
        stack.enter_context(_replica_alias("127.0.0.1", standby.port))
        replica = StreamingReplica(standby.port)
        assert _query(REPLICA, "SELECT pg_is_in_recovery()") is True
        yield replica


def _transfer(client, key: str, amount: str) -> dict:
    return client.execute(
        doc.TRANSFER, {"input": {"receiverUsername": "bob", "amount": amount, "idempotencyKey": key}}
    )["transfer"]


def _history(client) -> tuple[list[str], int, list[str], int]:
    """The viewer's transaction ids and totalCount, and the transaction ids of their ledger entries and totalCount."""
    transactions = client.execute(doc.TRANSACTIONS, {"first": 50})["transactions"]
    entries = client.execute(doc.LEDGER_ENTRIES, {"first": 50})["ledgerEntries"]
    return (
        [edge["node"]["id"] for edge in transactions["edges"]],
        transactions["totalCount"],
        [edge["node"]["transaction"]["id"] for edge in entries["edges"]],
        entries["totalCount"],
    )


def test_history_reads_the_lagging_replica_while_money_and_balances_read_the_primary(
    streaming_replica, api, token_for, make_user, fund
):
    alice = make_user("alice")
    make_user("bob")
    fund(alice, "100.00")
    client = api.as_user(token_for(alice))
    before = _transfer(client, "before-the-pause", "10.00")
    assert before["errors"] == [] and before["wallet"]["balance"] == "90.00"
    streaming_replica.wait_for_replay()

    # Caught up: the replica answers the history, and has everything.
    ids, total, entry_ids, entries_total = _history(client)
    assert ids[0] == before["transaction"]["id"] == entry_ids[0] and (total, entries_total) == (2, 2)

    streaming_replica.pause()
    made = _transfer(client, "during-the-pause", "25.00")
    assert made["errors"] == [] and made["replayed"] is False
    assert made["transaction"]["status"] == "SUCCESS" and made["wallet"]["balance"] == "65.00"
    new_id = made["transaction"]["id"]
    # The replica has received the transfer's WAL but, paused, not applied it: the lag is there to see.
    written = _primary_position()
    _wait_until(lambda: streaming_replica.received_up_to(written), "the replica to receive the transfer's WAL")
    assert not streaming_replica.replayed_up_to(written)

    # Money paths stay on the primary: replaying the key finds the transfer (read from the replica it would not,
    # and would move the money again).
    replay = _transfer(client, "during-the-pause", "25.00")
    assert replay["errors"] == [] and replay["replayed"] is True
    assert replay["transaction"]["id"] == new_id and replay["wallet"]["balance"] == "65.00"

    # History (edges and totalCount of both connections) comes from the paused replica: not there yet.
    ids, total, entry_ids, entries_total = _history(client)
    assert new_id not in ids and new_id not in entry_ids
    assert (total, entries_total) == (2, 2) and before["transaction"]["id"] in ids
    # The wallet and a transaction by id come from the primary: already there.
    assert client.execute(doc.WALLET)["wallet"]["balance"] == "65.00"
    found = client.execute(doc.TRANSACTION, {"id": new_id})["transaction"]
    assert found is not None and found["amount"] == "25.00" and found["status"] == "SUCCESS"

    streaming_replica.resume()
    streaming_replica.wait_for_replay()
    ids, total, entry_ids, entries_total = _history(client)
    assert ids[0] == new_id and entry_ids[0] == new_id and (total, entries_total) == (3, 3)


def test_without_a_replica_history_reads_the_primary(api, token_for, make_user, fund):
    assert REPLICA not in connections.settings
    with history_reads():
        assert HistoryReplicaRouter().db_for_read(Transaction) is None
        assert Transaction.objects.all().db == "default" and LedgerEntry.objects.all().db == "default"

    alice = make_user("alice")
    make_user("bob")
    fund(alice, "100.00")
    client = api.as_user(token_for(alice))
    made = _transfer(client, "no-replica", "25.00")
    ids, total, entry_ids, entries_total = _history(client)
    assert ids[0] == made["transaction"]["id"] == entry_ids[0] and (total, entries_total) == (2, 2)


def test_never_reads_the_replica_inside_a_transaction():
    # Routing only decides; nothing here connects to the (never started) replica.
    with _replica_alias("127.0.0.1", harness.free_port()):
        assert Transaction.objects.all().db == "default"  # outside history_reads()
        with history_reads():
            assert router.db_for_read(Transaction) == "replica"
            assert Transaction.objects.all().db == "replica" and LedgerEntry.objects.all().db == "replica"
            assert router.db_for_write(Transaction) == "default"
            with transaction.atomic():
                assert router.db_for_read(Transaction) == "default"
                assert Transaction.objects.all().db == "default" and LedgerEntry.objects.all().db == "default"
                assert Transaction.objects.count() == 0  # and it really reads there
            assert router.db_for_read(Transaction) == "replica"
        with transaction.atomic(), history_reads():
            assert LedgerEntry.objects.all().db == "default"
