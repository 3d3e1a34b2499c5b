"""A transfer becomes a downloadable PDF through the real pipeline: relay → Redis → consumer → (asked for) →
Celery worker."""

import time
from decimal import Decimal
from io import BytesIO

import pytest
import requests
from pypdf import PdfReader
from strawberry import relay

from scripts import harness
from wallet.models import Receipt
from wallet.services import transfer_create

pytestmark = pytest.mark.django_db(transaction=True)

RECEIPT = "query($id: ID!) { transaction(id: $id) { amount receipt { status url verificationCode } } }"


def test_a_participant_downloads_the_pdf_and_nobody_else_can(api, make_user, fund, token_for, process_env, manage):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    fund(alice, "100.00")
    txn = transfer_create(
        sender=alice, receiver_username="bob", amount=Decimal("12.50"), idempotency_key="p"
    ).transaction
    global_id = str(relay.GlobalID("Transaction", str(txn.pk)))
    as_bob = api.as_user(token_for(bob))
    worker = harness.celery_worker(process_env, "--pool=solo", "--without-gossip", "--without-mingle")
    try:
        manage("relay_events", "--once")
        manage("consume_events", "--consumer", "receipts", "--once")
        # Made by the event, rendered only once asked for: PENDING until the worker has made the PDF.
        assert set(Receipt.objects.filter(transaction=txn).values_list("status", flat=True)) == {"PENDING"}
        first = as_bob.execute(RECEIPT, {"id": global_id})["transaction"]["receipt"]
        assert first["status"] in ("PENDING", "READY") and first["verificationCode"]
        deadline = time.time() + 60
        while (
            time.time() < deadline
            and as_bob.execute(RECEIPT, {"id": global_id})["transaction"]["receipt"]["status"] != "READY"
        ):
            time.sleep(0.3)
    finally:
        worker.stop(grace=30)

    seen_by_bob = as_bob.execute(RECEIPT, {"id": global_id})["transaction"]["receipt"]
    assert seen_by_bob["status"] == "READY"
    assert Receipt.objects.get(transaction=txn, wallet__user=alice).status == "PENDING"  # alice never asked
    download = requests.get(seen_by_bob["url"], timeout=10)
    assert download.status_code == 200 and download.headers["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(download.content)).pages)
    assert "12.50 USD" in text and "alice" in text and "bob" in text
    assert seen_by_bob["verificationCode"] in text

    assert api.as_user(token_for(carol)).execute(RECEIPT, {"id": global_id}) == {"transaction": None}
    tampered = seen_by_bob["url"].rstrip("/")[:-3] + "xyz/"
    assert requests.get(tampered, timeout=10).status_code == 404
