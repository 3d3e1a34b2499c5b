"""PDF receipts: made per participant, rendered once when asked for, downloaded through a signed, expiring link."""

from decimal import Decimal
from io import BytesIO
from unittest import mock

import pytest
from pypdf import PdfReader

from wallet.models import Receipt
from wallet.services import (
    receipt_for_token,
    receipt_for_viewer,
    receipt_link_token,
    receipts_request,
    transfer_create,
)
from wallet.services.receipts import receipt_generate

pytestmark = pytest.mark.django_db


def pdf_text(receipt: Receipt) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(bytes(receipt.pdf))).pages)


@pytest.fixture
def paid(make_user, fund):
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    return transfer_create(
        sender=alice, receiver_username="bob", amount=Decimal("12.50"), idempotency_key="p"
    ).transaction


def test_each_participant_gets_a_receipt_with_their_own_balance(paid, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        receipts = receipts_request(transaction_id=paid.pk)

    by_owner = {r.wallet.user.username: Receipt.objects.get(pk=r.pk) for r in receipts}
    assert set(by_owner) == {"alice", "bob"}
    alice_text, bob_text = pdf_text(by_owner["alice"]), pdf_text(by_owner["bob"])
    for text in (alice_text, bob_text):
        assert "12.50 USD" in text and "alice" in text and "bob" in text and f"#{paid.pk}" in text
    assert "87.50 USD" in alice_text and "87.50" not in bob_text  # nobody sees another's balance
    assert by_owner["bob"].verification_code in bob_text


def test_generating_twice_is_harmless(paid, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        receipts_request(transaction_id=paid.pk)
    first = Receipt.objects.get(wallet__user__username="bob")

    with django_capture_on_commit_callbacks(execute=True):
        receipts_request(transaction_id=paid.pk)
    again = receipt_generate(transaction_id=paid.pk, wallet_id=first.wallet_id)

    assert Receipt.objects.count() == 2
    assert (again.pk, bytes(again.pdf), again.generated_at) == (first.pk, bytes(first.pdf), first.generated_at)


def test_failed_movements_get_no_receipt(make_user):
    alice, _ = make_user("alice"), make_user("bob")
    refused = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("5"), idempotency_key="x")

    assert receipts_request(transaction_id=refused.transaction.pk) == []


def test_a_download_token_is_bound_to_one_receipt_and_expires(paid, django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=True):
        receipts_request(transaction_id=paid.pk)
    receipt = Receipt.objects.get(wallet__user__username="bob")
    token = receipt_link_token(receipt)

    assert receipt_for_token(token) == receipt
    assert receipt_for_token(token[:-2] + ("A" if token[-1] != "A" else "B") + token[-1]) is None
    with mock.patch("django.core.signing.time.time", return_value=10**10):
        assert receipt_for_token(token) is None


def test_without_redis_a_transfer_makes_its_receipts_in_process_and_asking_renders_one(
    make_user, fund, settings, django_capture_on_commit_callbacks
):
    settings.EVENTS_IN_PROCESS = True
    alice, bob = make_user("alice"), make_user("bob")

    with django_capture_on_commit_callbacks(execute=True):
        fund(alice, "20.00")
        txn = transfer_create(
            sender=alice, receiver_username="bob", amount=Decimal("5"), idempotency_key="p"
        ).transaction

    assert set(Receipt.objects.filter(transaction=txn).values_list("status", flat=True)) == {"PENDING"}
    assert Receipt.objects.filter(transaction=txn).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        receipt_for_viewer(user=bob, txn=txn)
        receipt_for_viewer(user=bob, txn=txn)  # asked again: rendered once
    statuses = dict(Receipt.objects.filter(transaction=txn).values_list("wallet__user__username", "status"))
    assert statuses == {"alice": "PENDING", "bob": "READY"}


def test_a_receipt_asked_for_before_its_event_is_consumed_is_made_then(paid, django_capture_on_commit_callbacks):
    bob = paid.receiver_wallet.user
    assert not Receipt.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        receipt = receipt_for_viewer(user=bob, txn=paid)

    assert Receipt.objects.get(pk=receipt.pk).status == "READY" and Receipt.objects.count() == 2


def test_a_failing_receipt_never_fails_the_movement(make_user, fund, settings, django_capture_on_commit_callbacks):
    settings.EVENTS_IN_PROCESS = True
    alice, _ = make_user("alice"), make_user("bob")
    fund(alice, "20.00")

    with (
        mock.patch("wallet.receipt_pdf.render", side_effect=RuntimeError("PDF library broke")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("5"), idempotency_key="p")
        for user in (alice, result.transaction.receiver_wallet.user):
            receipt_for_viewer(user=user, txn=result.transaction)

    assert result.error is None and result.transaction.status == "SUCCESS"
    assert set(Receipt.objects.filter(transaction=result.transaction).values_list("status", flat=True)) == {"FAILED"}
