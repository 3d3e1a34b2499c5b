"""Load: a burst of 1,000 transfers drains through the outbox into PENDING receipts, and every receipt, once asked
for, is rendered (real relay, Redis, consumer, Celery worker).

The drain time is printed (run with -s to see it); like every timing here it is reported, not asserted.
"""

import time
from decimal import Decimal

import pytest

from scripts import harness
from wallet.models import OutboxEvent, Receipt, User
from wallet.services import transfer_create
from wallet.services.receipts import receipt_request

pytestmark = pytest.mark.django_db(transaction=True)

TRANSFERS = 1_000


def test_a_burst_of_transfers_becomes_receipts_and_the_outbox_drains(make_user, fund, process_env, manage):
    users = [make_user(f"u{i}") for i in range(10)]
    for user in users:
        fund(user, "1000.00")
    senders = [User.objects.get(pk=user.pk) for user in users]
    for i in range(TRANSFERS):
        transfer_create(
            sender=senders[i % 10], receiver_username=f"u{(i + 1) % 10}", amount=Decimal("1"), idempotency_key=f"t{i}"
        )
    expected = TRANSFERS * 2 + len(users)  # a receipt per participant; the top-ups have one each

    started = time.perf_counter()
    worker = harness.celery_worker(process_env, "--concurrency=2")
    try:
        manage("relay_events", "--once")
        manage("consume_events", "--consumer", "receipts", "--once")
        # The events made every receipt, PENDING: none is rendered until its participant asks for it.
        assert Receipt.objects.filter(status="PENDING", requested_at=None).count() == expected
        prepared_in = time.perf_counter() - started
        for receipt in Receipt.objects.all():  # every participant asks
            receipt_request(receipt=receipt)
        deadline = time.time() + 240
        while time.time() < deadline and Receipt.objects.filter(status="READY").count() < expected:
            time.sleep(0.5)
        drained_in = time.perf_counter() - started
    finally:
        worker.stop(grace=60)

    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()
    assert Receipt.objects.filter(status="READY").count() == Receipt.objects.count() == expected
    print(
        f"\n{TRANSFERS} transfers -> {expected} receipts; outbox drained and receipts made in {prepared_in:.1f} s,"
        f" all asked for and rendered in {drained_in:.1f} s"
    )
