"""The webhook sender's throughput and CPU: `--deliveries` due deliveries to a local receiver that answers 204 at
once, sent by one `manage.py deliver_webhooks` process, timed until every one SUCCEEDED.

    .venv/bin/python -m bench.webhooks [--deliveries 3000] [--concurrency 8]

It starts its own throwaway PostgreSQL (durable, as bench/run's) and stops everything it started. The receiver runs
in this process; its CPU is reported too, since it shares the two cores.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2

from bench import cpu
from scripts import harness

SEED = """
import json, uuid
from django.utils import timezone
from wallet.events.webhooks import webhook_body
from wallet.models import WebhookDelivery, WebhookEndpoint
from wallet.services import user_register
from wallet.services.webhooks import webhook_endpoint_create

owner = user_register(username="merchant", password="bench-Passw0rd-2026")
endpoint = webhook_endpoint_create(owner=owner, url={url!r}, event_types=["transaction.succeeded"]).endpoint
now = timezone.now()
deliveries = []
for n in range({count}):
    event = {{"event_id": str(uuid.uuid4()), "type": "transaction.succeeded", "occurred_at": now.isoformat(),
        "schema_version": 1, "transaction_id": n + 1, "kind": "TRANSFER", "status": "SUCCESS", "failure_code": None,
        "amount": "12.50", "currency": "USD", "initiator_id": 7, "sender_wallet_id": 7,
        "receiver_wallet_id": owner.wallet.id, "original_transaction_id": None, "expires_at": None,
        "reference": f"order-{{n}}", "metadata": {{"order": str(n)}}, "created_at": now.isoformat(),
        "entries": [{{"wallet_id": owner.wallet.id, "delta": "12.50", "pending": False, "balance_after": "99.00"}}]}}
    deliveries.append(WebhookDelivery(endpoint=endpoint, event_id=event["event_id"], event_type=event["type"],
        body=webhook_body(event, wallet_id=owner.wallet.id), next_attempt_at=now))
WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000)
"""


class Receiver:
    def __init__(self) -> None:
        self.count = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.count += 1
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run(*, deliveries: int, concurrency: int) -> dict:
    database = harness.postgres(durable=True)
    receiver = Receiver()
    sender = None
    try:
        env = {
            **os.environ,
            "DATABASE_URL": database.url(),
            "DJANGO_DEBUG": "false",
            "REDIS_URL": "",
            "LOG_LEVEL": "WARNING",
            "WEBHOOKS_ALLOW_PRIVATE_NETWORKS": "true",
            "WEBHOOK_CONCURRENCY": str(concurrency),
            "WEBHOOK_PER_ENDPOINT_CONCURRENCY": str(concurrency),  # one endpoint here: let it have every slot
        }
        harness.manage(env, "migrate", "--noinput", "-v", "0")
        url = f"http://127.0.0.1:{receiver.server.server_port}/hooks"
        seed = SEED.format(url=url, count=deliveries)
        subprocess.run([harness.PYTHON, "manage.py", "shell", "-c", seed], cwd=harness.ROOT, env=env, check=True)

        with psycopg2.connect(database.url()) as connection:
            connection.autocommit = True

            def pending() -> int:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT count(*) FROM wallet_webhookdelivery WHERE status = 'PENDING'")
                    return cursor.fetchone()[0]

            groups = {
                "sender": lambda: [sender.pid] if sender else [],
                "postgres": lambda: [database.postmaster_pid()],
            }
            before, receiver_before = cpu.sample({"postgres": groups["postgres"]}), time.process_time()
            started = time.monotonic()
            sender = harness.webhook_sender(env, "--poll", "0.05")
            before["sender"] = 0.0
            harness.wait_until(lambda: pending() == 0, "every delivery", timeout=600, alive=sender.alive)
            elapsed = time.monotonic() - started
            spent = cpu.used(before, cpu.sample(groups))
            spent["receiver (this process)"] = time.process_time() - receiver_before
            with connection.cursor() as cursor:
                cursor.execute("SELECT status, count(*), sum(attempts) FROM wallet_webhookdelivery GROUP BY status")
                outcome = {status: {"deliveries": count, "attempts": attempts} for status, count, attempts in cursor}
    finally:
        if sender is not None:
            sender.stop()
        receiver.stop()
        database.stop()
    return {
        "deliveries": deliveries,
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "per_second": round(deliveries / elapsed, 1),
        "received": receiver.count,
        "outcome": outcome,
        "cpu_ms_per_delivery": {name: round(seconds * 1000 / deliveries, 3) for name, seconds in spent.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    print(json.dumps(run(deliveries=args.deliveries, concurrency=args.concurrency), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
