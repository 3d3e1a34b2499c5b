"""Payment request services against PostgreSQL: the expiry pass in batches, the database's own guarantees, and the
events' payloads. The API, the races and the rules are tested over HTTP in tests/schema/test_api_payment_requests.py."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from wallet.errors import ErrorCode
from wallet.models import OutboxEvent, PaymentRequest, Transaction
from wallet.services import Tags, payment_request_approve, payment_request_create, payment_requests_expire
from wallet.services import payment_requests as service
from wallet.services.ledger import transfer_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob", mobile_number="+14155550123")


def ask(requester, key: str, *, now=None, seconds: int = 60, amount: str = "10.00") -> PaymentRequest:
    return payment_request_create(
        requester=requester,
        payer_username="bob",
        amount=Decimal(amount),
        expires_in_seconds=seconds,
        idempotency_key=key,
        now=now,
    ).payment_request


def test_the_expiry_pass_works_through_every_due_request_in_batches(alice, bob, monkeypatch):
    monkeypatch.setattr(service, "EXPIRE_BATCH_SIZE", 2)
    start = timezone.now()
    due = [ask(alice, f"due-{i}", now=start) for i in range(5)]
    later = ask(alice, "later", now=start, seconds=3600)

    assert payment_requests_expire(now=start + timedelta(seconds=60)) == 5

    assert set(PaymentRequest.objects.filter(status="EXPIRED").values_list("id", flat=True)) == {r.pk for r in due}
    assert PaymentRequest.objects.get(pk=later.pk).status == "PENDING"
    assert OutboxEvent.objects.filter(event_type="payment_request.expired").count() == 5


def test_a_request_is_paid_once_even_past_its_lock_the_reference_takes_effect_once(alice, bob, fund):
    """Should a transfer carrying the request's reference ever get past the request's lock, the engine still
    refuses a second one (REFERENCE_ALREADY_USED, recorded FAILED) and the request is not paid twice."""
    fund(bob, "100.00")
    request = ask(alice, "ask")
    earlier = transfer_create(
        sender=bob,
        receiver_username="alice",
        amount=Decimal("10.00"),
        idempotency_key="behind-its-back",
        tags=Tags(reference=service.transfer_reference(request)),
    )
    assert earlier.error is None

    result = payment_request_approve(payer=bob, payment_request_id=request.pk, idempotency_key="approve")

    assert result.error.code == ErrorCode.REFERENCE_ALREADY_USED
    assert result.transaction.status == Transaction.Status.FAILED
    assert PaymentRequest.objects.get(pk=request.pk).status == "PENDING"
    assert Transaction.objects.filter(reference=service.transfer_reference(request), status="SUCCESS").count() == 1


def test_the_database_refuses_a_paid_request_without_its_transfer_and_a_request_to_oneself(alice, bob):
    request = ask(alice, "ask")

    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentRequest.objects.filter(pk=request.pk).update(status="PAID", resolved_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentRequest.objects.filter(pk=request.pk).update(payer=alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentRequest.objects.filter(pk=request.pk).update(status="DECLINED")  # closed, but no resolved_at
    with pytest.raises(IntegrityError), transaction.atomic():
        OutboxEvent.objects.create(event_type="payment_request.created", payload={})  # about nothing


def test_a_created_event_carries_the_catalogue_fields(alice, bob):
    request = ask(alice, "ask", amount="12.5")

    event = OutboxEvent.objects.get(event_type="payment_request.created")

    assert event.payment_request_id == request.pk and event.transaction_id is None
    assert event.payload == {
        "schema_version": 1,
        "payment_request_id": request.pk,
        "status": "PENDING",
        "amount": "12.50",
        "currency": "USD",
        "note": None,
        "requester_id": alice.pk,
        "requester_wallet_id": alice.wallet.pk,
        "payer_id": bob.pk,
        "payer_wallet_id": bob.wallet.pk,
        "transaction_id": None,
        "created_at": request.created_at.isoformat(),
        "expires_at": request.expires_at.isoformat(),
        "resolved_at": None,
    }


def test_a_payment_request_event_is_published_keyed_by_its_payers_wallet(alice, bob):
    from wallet.events.relay import relay_until_drained
    from wallet.events.transports import message, ordering_key

    ask(alice, "ask")
    event = OutboxEvent.objects.get(event_type="payment_request.created")
    published = []

    class Recording:
        def publish(self, events):
            published.extend(message(e) for e in events)

    assert ordering_key(event) == str(bob.wallet.pk)
    assert relay_until_drained(transport=Recording()) == OutboxEvent.objects.count()
    assert [m["payment_request_id"] for m in published if m["type"] == "payment_request.created"] == [
        event.payment_request_id
    ]
