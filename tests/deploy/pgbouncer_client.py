"""The service's money path as a process of its own, talking to PostgreSQL through PgBouncer: tests/deploy/
test_pgbouncer.py runs it with DATABASE_URL pointing at PgBouncer and DATABASE_BEHIND_PGBOUNCER=true.

    python -m tests.deploy.pgbouncer_client

It prints {"started": true} once Django is set up, then runs the commands it reads on stdin, one JSON object a line,
and answers each with JSON lines, the last of which has "done": true:

    {"do": "transfer", "sender": …, "receiver": …, "amount": "…", "key": …, "lock_timeout_ms": 300, "audit": true}
        One transfer (wallet.services.transfer_create), not retried: its outcome (SUCCESS, a failure code, or
        RETRY_LATER) and how long it took; with "audit", the ledger audit after it.
    {"do": "transfers", "sender": …, "receivers": […], "amount": "…", "threads": N, "each": M, "keys": …}
        N threads, each with its own database connection (a PgBouncer client of its own), connect and answer
        {"ready": N}; on the next line ({"do": "go"}) each sends M transfers, retrying RETRY_LATER with the same key as
        a careful client does, and the answer counts the outcomes.
    {"do": "hold", "wallet_id": …}
        Locks the wallet's row (SELECT … FOR UPDATE) in a transaction and answers {"locked": backend pid}; the
        transaction stays open until the next line ({"do": "release"}), then commits: {"released": backend pid}.

Each money transaction reports the PostgreSQL backend (pg_backend_pid) it was on when it began and once it had its
locks, and the lock_timeout and statement_timeout it ran with: the test checks them.
"""

import json
import os
import sys
import threading
import time
from collections import Counter
from decimal import Decimal


def emit(**fields) -> None:
    print(json.dumps(fields, default=str), flush=True)


def next_command() -> dict | None:
    line = sys.stdin.readline()
    return json.loads(line) if line.strip() else None


def backend() -> tuple[int, str, str]:
    """The backend this connection's current transaction (or statement) runs on, and its two timeouts."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), current_setting('lock_timeout'), current_setting('statement_timeout')")
        return cursor.fetchone()


_seen: list[dict] = []


def observe_money_transactions() -> None:
    """Wraps the posting engine's call (each money transaction is one) to record where and how it ran."""
    from wallet.services import posting

    original = posting._call

    def call(request):
        answer = original(request)
        session = answer.get("session") or {}
        _seen.append(
            {
                # One statement: it began and took its row locks on the backend that reports itself.
                "began_on": session.get("backend"),
                "locked_on": session.get("backend"),
                "lock_timeout": session.get("lock_timeout"),
                "statement_timeout": session.get("statement_timeout"),
            }
        )
        return answer

    posting._call = call


def seen() -> list[dict]:
    """The money transactions recorded since the last call."""
    recorded = list(_seen)
    del _seen[: len(recorded)]
    return recorded


def sender_named(username: str):
    from wallet.models import User

    return User.objects.select_related("wallet").get(username=username)


def transfer_once(sender, receiver: str, amount: Decimal, key: str) -> str:
    from wallet.errors import WalletBusy
    from wallet.services import transfer_create

    try:
        result = transfer_create(sender=sender, receiver_username=receiver, amount=amount, idempotency_key=key)
    except WalletBusy:
        return "RETRY_LATER"
    return result.transaction.failure_code or result.transaction.status


def run_transfer(command: dict) -> None:
    from django.conf import settings

    default = settings.WALLET_LOCK_TIMEOUT_MS
    settings.WALLET_LOCK_TIMEOUT_MS = command.get("lock_timeout_ms", default)
    try:
        sender = sender_named(command["sender"])
        began = time.monotonic()
        outcome = transfer_once(sender, command["receiver"], Decimal(command["amount"]), command["key"])
        report = {"outcome": outcome, "seconds": round(time.monotonic() - began, 3), "transactions": seen()}
    finally:
        settings.WALLET_LOCK_TIMEOUT_MS = default
    if command.get("audit"):
        from wallet.ledger_audit import audit_ledger

        audit = audit_ledger()
        report["audit"] = {"ok": audit.ok, "problems": audit.problems}
    emit(**report, done=True)


def run_transfers(command: dict) -> None:
    from django.db import connection

    threads, each, amount = command["threads"], command["each"], Decimal(command["amount"])
    connected = threading.Barrier(threads + 1)
    go = threading.Event()
    counting = threading.Lock()
    outcomes: Counter = Counter()
    retried = Counter()
    errors: list[str] = []

    def client(number: int) -> None:
        try:
            sender = sender_named(command["sender"])  # this thread's own connection, made now
            connected.wait(timeout=30)
            go.wait(timeout=60)
            for index in range(each):
                key = f"{command['keys']}-{number}-{index}"
                receiver = command["receivers"][(number + index) % len(command["receivers"])]
                for _ in range(100):
                    outcome = transfer_once(sender, receiver, amount, key)
                    if outcome != "RETRY_LATER":
                        break
                    with counting:
                        retried["RETRY_LATER"] += 1
                    time.sleep(0.01)
                with counting:
                    outcomes[outcome] += 1
        except Exception as error:  # noqa: BLE001 - reported to the test
            errors.append(repr(error))
            connected.abort()
        finally:
            connection.close()

    workers = [threading.Thread(target=client, args=(number,), daemon=True) for number in range(threads)]
    for worker in workers:
        worker.start()
    connected.wait(timeout=30)
    emit(ready=threads)
    assert next_command() == {"do": "go"}
    go.set()
    for worker in workers:
        worker.join(timeout=60)
    emit(outcomes=dict(outcomes), retried=retried["RETRY_LATER"], errors=errors, transactions=seen(), done=True)


def run_hold(command: dict) -> None:
    from django.db import transaction

    from wallet.models import Wallet

    with transaction.atomic():
        pid, _, _ = backend()
        Wallet.objects.select_for_update().get(pk=command["wallet_id"])
        emit(locked=pid)
        assert next_command() == {"do": "release"}
        pid, _, _ = backend()
    emit(released=pid, done=True)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.settings")
    import django

    django.setup()
    from django.conf import settings

    assert os.environ.get("DATABASE_BEHIND_PGBOUNCER") == "true"
    assert settings.DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    observe_money_transactions()
    emit(started=True, done=True)
    commands = {"transfer": run_transfer, "transfers": run_transfers, "hold": run_hold}
    while (command := next_command()) is not None:
        commands[command["do"]](command)


if __name__ == "__main__":
    main()
