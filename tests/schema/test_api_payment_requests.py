"""Payment requests over real HTTP against PostgreSQL: asking for money, paying it once, declining, cancelling,
expiring, and the races between them, with real threads."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from tests.schema import documents as doc
from tests.schema.test_api_keys import KeyClient, make_key
from wallet import selectors
from wallet.events import realtime
from wallet.ledger_audit import audit_ledger
from wallet.models import LedgerEntry, OutboxEvent, PaymentRequest, Transaction, Wallet, WebhookDelivery
from wallet.services import payment_requests as service
from wallet.services import payment_requests_expire
from wallet.services.webhooks import webhook_endpoint_create

pytestmark = pytest.mark.django_db(transaction=True)

ERRORS = "errors { code field message }"
REQUEST_FIELDS = "id amount currency note status requester payer createdAt expiresAt resolvedAt transaction { id }"
REQUEST = f"""
mutation($input: RequestPaymentInput!) {{ requestPayment(input: $input) {{
  paymentRequest {{ {REQUEST_FIELDS} }} replayed {ERRORS} }} }}"""
APPROVE = f"""
mutation($input: ApprovePaymentRequestInput!) {{ approvePaymentRequest(input: $input) {{
  paymentRequest {{ {REQUEST_FIELDS} }}
  transaction {{ id kind status amount failureCode reference note sender {{ username }} receiver {{ username }} }}
  replayed {ERRORS} }} }}"""
DECLINE = f"""
mutation($input: DeclinePaymentRequestInput!) {{ declinePaymentRequest(input: $input) {{
  paymentRequest {{ {REQUEST_FIELDS} }} {ERRORS} }} }}"""
CANCEL = f"""
mutation($input: CancelPaymentRequestInput!) {{ cancelPaymentRequest(input: $input) {{
  paymentRequest {{ {REQUEST_FIELDS} }} {ERRORS} }} }}"""
LIST = f"""
query($role: PaymentRequestRole!, $status: PaymentRequestStatus, $first: Int, $after: String) {{
  paymentRequests(role: $role, status: $status, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {REQUEST_FIELDS} }} }} }} }}"""
NODE = "query($id: ID!) { node(id: $id) { ... on PaymentRequest { id status } } }"


@pytest.fixture
def carol(make_user):
    return make_user("carol", mobile_number="+14155550177")


@pytest.fixture
def as_bob(api, bob, token_for):
    return api.as_user(token_for(bob))


@pytest.fixture
def as_carol(api, carol, token_for):
    return api.as_user(token_for(carol))


@pytest.fixture
def long_lock_waits(settings):
    """The races below hold a request's lock on purpose while another call waits for it."""
    settings.WALLET_LOCK_TIMEOUT_MS = 20_000


class Clock:
    """The one clock payment requests are judged by (selectors.payment_request_clock), moved by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(timezone.now())
    monkeypatch.setattr(selectors, "payment_request_clock", clock)
    return clock


def ask(client, key="ask-1", **fields) -> dict:
    variables = {"payerUsername": "bob", "amount": "25.00", "expiresInSeconds": 3600, "idempotencyKey": key, **fields}
    variables = {name: value for name, value in variables.items() if value is not None}
    return client.execute(REQUEST, {"input": variables})["requestPayment"]


def asked(client, **fields) -> dict:
    result = ask(client, **fields)
    assert result["errors"] == [], result
    return result["paymentRequest"]


def approve(client, request_id: str, key="pay-1") -> dict:
    return client.execute(APPROVE, {"input": {"id": request_id, "idempotencyKey": key}})["approvePaymentRequest"]


def decline(client, request_id: str, key="no-1") -> dict:
    return client.execute(DECLINE, {"input": {"id": request_id, "idempotencyKey": key}})["declinePaymentRequest"]


def cancel(client, request_id: str, key="cancel-1") -> dict:
    return client.execute(CANCEL, {"input": {"id": request_id, "idempotencyKey": key}})["cancelPaymentRequest"]


def codes(result: dict) -> list[str]:
    return [error["code"] for error in result["errors"]]


def listed(client, role: str, status: str | None = None, **paging) -> list[dict]:
    page = client.execute(LIST, {"role": role, "status": status, **paging})["paymentRequests"]
    return [edge["node"] for edge in page["edges"]]


def balance(user) -> Decimal:
    return Wallet.objects.get(user=user).balance


def payments_of(request_pk: int):
    """The transfers recorded for a request (its reference ties them to it)."""
    return Transaction.objects.filter(kind="TRANSFER", reference=f"{service.REFERENCE_PREFIX}{request_pk}")


def pk(request: dict) -> int:
    from schema.ids import payment_request_pk

    return payment_request_pk(request["id"])


# --- the whole flow ------------------------------------------------------------------------------------------------


def test_a_request_by_username_is_seen_by_both_and_its_approval_moves_the_money_once(
    as_alice, as_bob, alice, bob, fund
):
    fund(bob, "100.00")

    request = asked(as_alice, note="Pizza on Friday")

    assert (request["amount"], request["currency"], request["note"], request["status"]) == (
        "25.00",
        "USD",
        "Pizza on Friday",
        "PENDING",
    )
    assert (request["requester"], request["payer"], request["resolvedAt"], request["transaction"]) == (
        "alice",
        "bob",
        None,
        None,
    )
    assert [r["id"] for r in listed(as_bob, "INCOMING", "PENDING")] == [request["id"]]
    assert [r["id"] for r in listed(as_alice, "OUTGOING")] == [request["id"]]
    assert listed(as_alice, "INCOMING") == [] and listed(as_bob, "OUTGOING") == []

    paid = approve(as_bob, request["id"])

    assert paid["errors"] == [] and paid["replayed"] is False
    assert paid["paymentRequest"]["status"] == "PAID" and paid["paymentRequest"]["resolvedAt"] is not None
    transfer = paid["transaction"]
    assert paid["paymentRequest"]["transaction"] == {"id": transfer["id"]}
    assert (transfer["kind"], transfer["status"], transfer["amount"], transfer["note"]) == (
        "TRANSFER",
        "SUCCESS",
        "25.00",
        "Pizza on Friday",
    )
    assert transfer["reference"] == f"payment-request:{pk(request)}"
    assert (transfer["sender"], transfer["receiver"]) == ({"username": "bob"}, {"username": "alice"})
    assert (balance(alice), balance(bob)) == (Decimal("25.00"), Decimal("75.00"))
    # The same key again replays; another key finds it paid. Neither moves anything.
    again = approve(as_bob, request["id"])
    assert again["errors"] == [] and again["replayed"] is True and again["transaction"]["id"] == transfer["id"]
    assert codes(approve(as_bob, request["id"], key="pay-2")) == ["PAYMENT_REQUEST_NOT_PENDING"]
    assert (balance(alice), balance(bob)) == (Decimal("25.00"), Decimal("75.00"))
    # The ledger: one successful transfer, whose two entries sum to zero, and the whole ledger agrees.
    assert payments_of(pk(request)).count() == 1
    entries = LedgerEntry.objects.filter(transaction__reference=f"payment-request:{pk(request)}")
    assert sorted(entries.values_list("delta", flat=True)) == [Decimal("-25.00"), Decimal("25.00")]
    assert entries.aggregate(total=Sum("delta"))["total"] == 0
    assert audit_ledger().problems == []
    # The requester sees it paid too, with the transfer (which reached their wallet).
    seen = listed(as_alice, "OUTGOING", "PAID")[0]
    assert seen["status"] == "PAID" and seen["transaction"] == {"id": transfer["id"]}


def test_a_request_by_mobile_number_names_the_payer_and_is_paid_by_them(as_alice, as_bob, alice, bob, fund):
    fund(bob, "10.00")

    request = asked(as_alice, payerUsername=None, mobileNumber="(415) 555-0123", amount="4.50")

    assert request["payer"] == "bob"
    assert [r["id"] for r in listed(as_bob, "INCOMING")] == [request["id"]]
    assert approve(as_bob, request["id"])["errors"] == []
    assert (balance(alice), balance(bob)) == (Decimal("4.50"), Decimal("5.50"))


def test_an_unknown_mobile_number_gets_the_error_paying_it_would_and_creates_nothing(as_alice, alice, fund):
    fund(alice, "10.00")
    pay = as_alice.execute(
        doc.PAY_BY_MOBILE, {"input": {"mobileNumber": "+14155550999", "amount": "1.00", "idempotencyKey": "p"}}
    )["payByMobile"]
    events = OutboxEvent.objects.count()

    result = ask(as_alice, payerUsername=None, mobileNumber="+14155550999")

    assert [(e["code"], e["field"], e["message"]) for e in result["errors"]] == [
        (e["code"], e["field"], e["message"]) for e in pay["errors"]
    ]
    assert codes(result) == ["RECEIVER_NOT_FOUND"] and result["paymentRequest"] is None
    assert PaymentRequest.objects.count() == 0 and OutboxEvent.objects.count() == events


def test_request_payment_replays_by_key_and_refuses_the_key_with_other_parameters(as_alice, alice, bob):
    first = ask(as_alice, key="same")
    again = ask(as_alice, key="same")
    other = ask(as_alice, key="same", amount="26.00")

    assert first["replayed"] is False and again["replayed"] is True
    assert again["paymentRequest"]["id"] == first["paymentRequest"]["id"]
    assert codes(other) == ["IDEMPOTENCY_KEY_REUSED"] and other["errors"][0]["field"] == "idempotencyKey"
    assert PaymentRequest.objects.count() == 1
    assert OutboxEvent.objects.filter(event_type="payment_request.created").count() == 1


def test_a_list_is_paged_newest_first_by_keyset(as_alice, as_bob, alice, bob):
    made = [asked(as_alice, key=f"ask-{i}")["id"] for i in range(5)]

    first = as_bob.execute(LIST, {"role": "INCOMING", "first": 2})["paymentRequests"]
    rest = as_bob.execute(LIST, {"role": "INCOMING", "first": 10, "after": first["pageInfo"]["endCursor"]})[
        "paymentRequests"
    ]

    assert first["totalCount"] == 5 and first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["id"] for e in first["edges"] + rest["edges"]] == made[::-1]
    assert rest["pageInfo"]["hasNextPage"] is False


# --- decline, cancel, expiry ---------------------------------------------------------------------------------------


def test_the_payer_declines_and_then_nothing_can_pay_or_cancel_it(as_alice, as_bob, alice, bob, fund):
    fund(bob, "100.00")
    request = asked(as_alice)

    declined = decline(as_bob, request["id"])

    assert declined["errors"] == [] and declined["paymentRequest"]["status"] == "DECLINED"
    assert declined["paymentRequest"]["resolvedAt"] is not None
    assert decline(as_bob, request["id"])["errors"] == []  # a retry of the same decline
    assert codes(decline(as_bob, request["id"], key="no-2")) == ["PAYMENT_REQUEST_NOT_PENDING"]
    assert codes(approve(as_bob, request["id"])) == ["PAYMENT_REQUEST_NOT_PENDING"]
    assert codes(cancel(as_alice, request["id"])) == ["PAYMENT_REQUEST_NOT_PENDING"]
    assert listed(as_alice, "OUTGOING", "DECLINED")[0]["id"] == request["id"]
    assert payments_of(pk(request)).count() == 0 and (balance(alice), balance(bob)) == (0, Decimal("100.00"))


def test_the_requester_cancels_and_then_it_cannot_be_paid(as_alice, as_bob, alice, bob, fund):
    fund(bob, "100.00")
    request = asked(as_alice)

    cancelled = cancel(as_alice, request["id"])

    assert cancelled["errors"] == [] and cancelled["paymentRequest"]["status"] == "CANCELLED"
    assert cancel(as_alice, request["id"])["errors"] == []  # a retry of the same cancel
    assert codes(approve(as_bob, request["id"])) == ["PAYMENT_REQUEST_NOT_PENDING"]
    assert codes(decline(as_bob, request["id"])) == ["PAYMENT_REQUEST_NOT_PENDING"]
    assert listed(as_bob, "INCOMING", "CANCELLED")[0]["status"] == "CANCELLED"
    assert payments_of(pk(request)).count() == 0 and balance(bob) == Decimal("100.00")


def test_a_request_past_its_expiry_is_expired_to_every_reader_before_the_pass_marks_it(
    as_alice, as_bob, alice, bob, fund, clock
):
    fund(bob, "100.00")
    request = asked(as_alice, expiresInSeconds=60)
    expires_at = datetime.fromisoformat(request["expiresAt"])
    assert expires_at == clock.now + timedelta(seconds=60)

    clock.advance(seconds=59)
    assert listed(as_bob, "INCOMING", "PENDING")[0]["status"] == "PENDING"
    clock.advance(seconds=1)

    seen = listed(as_bob, "INCOMING")[0]
    assert seen["status"] == "EXPIRED" and datetime.fromisoformat(seen["resolvedAt"]) == expires_at
    assert listed(as_bob, "INCOMING", "PENDING") == []
    assert [r["id"] for r in listed(as_alice, "OUTGOING", "EXPIRED")] == [request["id"]]
    assert PaymentRequest.objects.get().status == "PENDING"  # not marked yet
    refused = approve(as_bob, request["id"])
    assert codes(refused) == ["PAYMENT_REQUEST_NOT_PENDING"] and "expired" in refused["errors"][0]["message"]
    assert codes(decline(as_bob, request["id"])) == ["PAYMENT_REQUEST_NOT_PENDING"]
    assert codes(cancel(as_alice, request["id"])) == ["PAYMENT_REQUEST_NOT_PENDING"]
    assert payments_of(pk(request)).count() == 0 and balance(bob) == Decimal("100.00")

    assert payment_requests_expire(now=clock.now) == 1
    assert payment_requests_expire(now=clock.now) == 0

    marked = PaymentRequest.objects.get()
    assert (marked.status, marked.resolved_at) == ("EXPIRED", expires_at)
    assert OutboxEvent.objects.filter(event_type="payment_request.expired", payment_request=marked).count() == 1


def test_the_expiry_pass_marks_only_the_due_pending_requests(as_alice, alice, bob, carol, clock):
    soon = asked(as_alice, key="soon", expiresInSeconds=60)
    later = asked(as_alice, key="later", expiresInSeconds=600)
    answered = asked(as_alice, key="answered", expiresInSeconds=60, payerUsername="carol")
    service.payment_request_decline(payer=carol, payment_request_id=pk(answered), idempotency_key="no")

    assert payment_requests_expire(now=clock.now + timedelta(seconds=61)) == 1

    statuses = dict(PaymentRequest.objects.values_list("id", "status"))
    assert statuses == {pk(soon): "EXPIRED", pk(later): "PENDING", pk(answered): "DECLINED"}


# --- refusals ------------------------------------------------------------------------------------------------------


def test_an_approval_without_the_funds_is_recorded_failed_and_leaves_the_request_pending(
    as_alice, as_bob, alice, bob, fund
):
    fund(bob, "5.00")
    request = asked(as_alice, amount="10.00")

    refused = approve(as_bob, request["id"], key="try-1")

    assert codes(refused) == ["INSUFFICIENT_FUNDS"] and refused["errors"][0]["field"] == "amount"
    assert refused["paymentRequest"]["status"] == "PENDING"
    assert (refused["transaction"]["status"], refused["transaction"]["failureCode"]) == ("FAILED", "INSUFFICIENT_FUNDS")
    assert payments_of(pk(request)).get().status == "FAILED"  # recorded as for any transfer
    assert PaymentRequest.objects.get().status == "PENDING"
    replay = approve(as_bob, request["id"], key="try-1")
    assert codes(replay) == ["INSUFFICIENT_FUNDS"] and replay["replayed"] is True
    assert replay["transaction"]["id"] == refused["transaction"]["id"]

    fund(bob, "20.00")
    paid = approve(as_bob, request["id"], key="try-2")

    assert paid["errors"] == [] and paid["paymentRequest"]["status"] == "PAID"
    assert (balance(alice), balance(bob)) == (Decimal("10.00"), Decimal("15.00"))
    assert audit_ledger().problems == []


def test_an_approval_past_the_daily_limit_is_refused_and_leaves_the_request_pending(as_alice, as_bob, alice, bob, fund):
    fund(bob, "100.00")
    Wallet.objects.filter(user=bob).update(daily_transfer_limit=Decimal("20.00"))
    request = asked(as_alice, amount="25.00")

    refused = approve(as_bob, request["id"])

    assert codes(refused) == ["DAILY_LIMIT_EXCEEDED"] and refused["paymentRequest"]["status"] == "PENDING"
    assert payments_of(pk(request)).get().failure_code == "DAILY_LIMIT_EXCEEDED"
    assert listed(as_bob, "INCOMING", "PENDING")[0]["id"] == request["id"]
    assert (balance(alice), balance(bob)) == (0, Decimal("100.00"))


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"payerUsername": "alice"}, "SELF_TRANSFER", "payerUsername"),
        ({"payerUsername": "ALICE"}, "SELF_TRANSFER", "payerUsername"),
        ({"payerUsername": None, "mobileNumber": "+14155550100"}, "SELF_TRANSFER", "mobileNumber"),
        ({"amount": "0"}, "INVALID_AMOUNT", "amount"),
        ({"amount": "-5.00"}, "INVALID_AMOUNT", "amount"),
        ({"amount": "1.005"}, "INVALID_AMOUNT", "amount"),
        ({"amount": "1000000.01"}, "INVALID_AMOUNT", "amount"),
        ({"expiresInSeconds": 59}, "INVALID_INPUT", "expiresInSeconds"),
        ({"expiresInSeconds": 30 * 24 * 3600 + 1}, "INVALID_INPUT", "expiresInSeconds"),
        ({"expiresInSeconds": -1}, "INVALID_INPUT", "expiresInSeconds"),
        ({"mobileNumber": "+14155550123"}, "INVALID_INPUT", None),  # both payer fields
        ({"payerUsername": None}, "INVALID_INPUT", None),  # neither
        ({"note": "x" * 256}, "INVALID_INPUT", "note"),
        ({"payerUsername": "nobody"}, "RECEIVER_NOT_FOUND", "payerUsername"),
        ({"payerUsername": None, "mobileNumber": "12"}, "INVALID_MOBILE_NUMBER", "mobileNumber"),
        ({"key": ""}, "INVALID_INPUT", "idempotencyKey"),
    ],
)
def test_bad_input_gets_its_code_and_creates_nothing(as_alice, alice, bob, fields, code, field):
    result = ask(as_alice, **fields)

    assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, field)], result
    assert result["paymentRequest"] is None
    assert PaymentRequest.objects.count() == 0
    assert not OutboxEvent.objects.filter(event_type__startswith="payment_request.").exists()


def test_the_note_may_be_as_long_as_a_transfers(as_alice, alice, bob):
    assert asked(as_alice, note="n" * 255)["note"] == "n" * 255


# --- who may do what -----------------------------------------------------------------------------------------------


def test_only_the_payer_answers_and_only_the_requester_cancels_anyone_else_finds_nothing(
    as_alice, as_bob, as_carol, alice, bob, carol, fund
):
    fund(bob, "100.00")
    fund(carol, "100.00")
    request = asked(as_alice)

    for client, call in [
        (as_carol, approve),
        (as_carol, decline),
        (as_carol, cancel),
        (as_alice, approve),  # the requester cannot pay their own request
        (as_alice, decline),
        (as_bob, cancel),  # nor can the payer cancel it
    ]:
        result = call(client, request["id"], key="k")
        assert codes(result) == ["PAYMENT_REQUEST_NOT_FOUND"] and result["paymentRequest"] is None, (client, call)
    assert codes(approve(as_bob, "not-an-id")) == ["PAYMENT_REQUEST_NOT_FOUND"]
    assert as_carol.execute(NODE, {"id": request["id"]})["node"] is None
    assert as_bob.execute(NODE, {"id": request["id"]})["node"] == {"id": request["id"], "status": "PENDING"}
    assert listed(as_carol, "INCOMING") == [] and listed(as_carol, "OUTGOING") == []
    assert PaymentRequest.objects.get().status == "PENDING"
    assert Transaction.objects.filter(kind="TRANSFER").count() == 0


def test_api_keys_need_move_money_to_answer_and_read_to_list(as_alice, as_bob, alice, bob, fund, live_server):
    fund(bob, "100.00")
    url = f"{live_server.url}/graphql/"
    request = asked(as_alice)
    reader = KeyClient(url, make_key(as_bob, "READ")[0])
    mover = KeyClient(url, make_key(as_bob, "MOVE_MONEY")[0])
    approval = {"input": {"id": request["id"], "idempotencyKey": "by-key"}}

    assert reader.codes(APPROVE, approval) == ["FORBIDDEN"]
    assert reader.codes(DECLINE, approval) == ["FORBIDDEN"]
    assert PaymentRequest.objects.get().status == "PENDING" and balance(bob) == Decimal("100.00")
    assert mover.codes(LIST, {"role": "INCOMING"}) == ["FORBIDDEN"]
    listed_by_key = reader.post(LIST, {"role": "INCOMING"}).json()["data"]["paymentRequests"]
    assert [edge["node"]["id"] for edge in listed_by_key["edges"]] == [request["id"]]

    paid = mover.post(APPROVE, approval).json()["data"]["approvePaymentRequest"]

    assert paid["errors"] == [] and paid["paymentRequest"]["status"] == "PAID"
    assert (balance(alice), balance(bob)) == (Decimal("25.00"), Decimal("75.00"))


# --- rate limits ---------------------------------------------------------------------------------------------------


def test_requests_are_rate_limited_per_requester(as_alice, as_carol, alice, bob, carol, settings):
    settings.PAYMENT_REQUEST_RATE = "3/h"

    results = [ask(as_alice, key=f"ask-{i}") for i in range(4)]

    assert [codes(result) for result in results] == [[], [], [], ["RATE_LIMITED"]]
    assert PaymentRequest.objects.filter(requester=alice).count() == 3
    assert asked(as_carol, key="carol-1")["requester"] == "carol"  # another requester has their own allowance


def test_requests_by_mobile_number_count_toward_the_mobile_lookup_limit(as_alice, alice, bob, settings):
    settings.MOBILE_LOOKUP_RATE_PER_ACCOUNT = "2/m"
    by_number = {"payerUsername": None, "mobileNumber": "+14155550123"}

    results = [ask(as_alice, key=f"ask-{i}", **by_number) for i in range(3)]
    probe = ask(as_alice, key="probe", payerUsername=None, mobileNumber="+14155550999")

    assert [codes(result) for result in results + [probe]] == [[], [], ["RATE_LIMITED"], ["RATE_LIMITED"]]
    assert asked(as_alice, key="by-name")["payer"] == "bob"  # by username probes no number
    assert PaymentRequest.objects.count() == 3


# --- events --------------------------------------------------------------------------------------------------------


def test_each_change_of_state_emits_its_event_to_both_parties_streams_and_webhooks(
    as_alice, as_bob, alice, bob, carol, fund, settings, monkeypatch, clock
):
    settings.EVENTS_IN_PROCESS = True
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    kinds = [f"payment_request.{name}" for name in ("created", "paid", "declined", "cancelled", "expired")]
    endpoints = {
        user.username: webhook_endpoint_create(owner=user, url="http://127.0.0.1:9/hook", event_types=kinds).endpoint
        for user in (alice, bob, carol)
    }
    pushed = []

    class RecordingLayer:
        async def group_send(self, group, message):
            pushed.append((group, message["event"]["type"], message["event"].get("payment_request_id")))

    monkeypatch.setattr(realtime, "get_channel_layer", RecordingLayer)
    fund(bob, "100.00")
    paid, declined, cancelled, expired = (asked(as_alice, key=f"ask-{i}", expiresInSeconds=60) for i in range(4))

    assert approve(as_bob, paid["id"])["errors"] == []
    assert decline(as_bob, declined["id"])["errors"] == []
    assert cancel(as_alice, cancelled["id"])["errors"] == []
    clock.advance(seconds=60)
    assert payment_requests_expire(now=clock.now) == 1

    events = list(OutboxEvent.objects.filter(event_type__startswith="payment_request.").order_by("id"))
    assert [(e.event_type, e.payment_request_id) for e in events] == [
        ("payment_request.created", pk(paid)),
        ("payment_request.created", pk(declined)),
        ("payment_request.created", pk(cancelled)),
        ("payment_request.created", pk(expired)),
        ("payment_request.paid", pk(paid)),
        ("payment_request.declined", pk(declined)),
        ("payment_request.cancelled", pk(cancelled)),
        ("payment_request.expired", pk(expired)),
    ]
    paid_event = events[4].payload
    assert paid_event["status"] == "PAID" and paid_event["amount"] == "25.00"
    assert paid_event["transaction_id"] == payments_of(pk(paid)).get().pk
    assert (paid_event["requester_wallet_id"], paid_event["payer_wallet_id"]) == (alice.wallet.pk, bob.wallet.pk)
    assert events[7].payload["status"] == "EXPIRED" and events[7].payload["resolved_at"] == expired["expiresAt"]
    # The paying transfer has its own transaction.succeeded, as any transfer does.
    assert (
        OutboxEvent.objects.filter(
            event_type="transaction.succeeded", transaction__reference__startswith="payment-request:"
        ).count()
        == 1
    )
    # Both parties' realtime groups and webhook endpoints hear every one; carol hears none.
    for event in events:
        request_id = event.payment_request_id
        assert sorted(group for group, kind, rid in pushed if (kind, rid) == (event.event_type, request_id)) == sorted(
            [f"wallet.{alice.wallet.pk}", f"wallet.{bob.wallet.pk}"]
        )
    deliveries = WebhookDelivery.objects.filter(event_type__startswith="payment_request.")
    for name in ("alice", "bob"):
        assert sorted(deliveries.filter(endpoint=endpoints[name]).values_list("event_id", flat=True)) == sorted(
            event.event_id for event in events
        )
    assert not deliveries.filter(endpoint=endpoints["carol"]).exists()


# --- races ---------------------------------------------------------------------------------------------------------


def all_at_once(calls):
    """Runs each call on its own thread, released together by a barrier; returns their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call()
        finally:
            connection.close()  # a call that used the database on this thread (the expiry pass) leaves no session

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def wait_for_a_lock_wait(timeout: float = 15.0) -> None:
    """Until some other backend waits for a row lock (the call we started is queued behind the held one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.01)
    raise AssertionError("no call queued behind the held lock")


def expire_on_its_own_thread(*, now: datetime) -> int:
    try:
        return payment_requests_expire(now=now)
    finally:
        connection.close()


@pytest.fixture
def holding(monkeypatch):
    """`holding(status)`: the next service call that closes a request with that status stops under the request's
    lock until released, so that another call can be started against the held lock."""

    def hold(status: str):
        locked, release = threading.Event(), threading.Event()
        close = service._close

        def held_close(payment_requests, new_status, **kwargs):
            if new_status == status and not locked.is_set():
                locked.set()
                assert release.wait(30)
            return close(payment_requests, new_status, **kwargs)

        monkeypatch.setattr(service, "_close", held_close)
        return locked, release

    return hold


def test_concurrent_approvals_with_different_keys_pay_once(as_alice, as_bob, alice, bob, fund):
    fund(bob, "100.00")
    request = asked(as_alice, amount="10.00")

    results = all_at_once([lambda i=i: approve(as_bob, request["id"], key=f"click-{i}") for i in range(8)])

    outcomes = sorted(codes(result)[0] if result["errors"] else "PAID" for result in results)
    assert outcomes == ["PAID"] + ["PAYMENT_REQUEST_NOT_PENDING"] * 7
    assert payments_of(pk(request)).count() == 1  # the losers posted nothing, not even a FAILED transfer
    assert (balance(alice), balance(bob)) == (Decimal("10.00"), Decimal("90.00"))
    assert OutboxEvent.objects.filter(event_type="payment_request.paid").count() == 1
    assert audit_ledger().problems == []


def test_concurrent_approvals_with_one_key_pay_once_and_replay(as_alice, as_bob, alice, bob, fund):
    fund(bob, "100.00")
    request = asked(as_alice, amount="10.00")

    results = all_at_once([lambda: approve(as_bob, request["id"], key="double-click")] * 8)

    assert all(result["errors"] == [] for result in results)
    assert sorted(result["replayed"] for result in results) == [False] + [True] * 7
    assert len({result["transaction"]["id"] for result in results}) == 1
    assert (balance(alice), balance(bob)) == (Decimal("10.00"), Decimal("90.00"))


def test_approvals_racing_cancels_pay_or_cancel_each_request_once(as_alice, as_bob, alice, bob, fund):
    fund(bob, "100.00")
    requests = [asked(as_alice, key=f"ask-{i}", amount="5.00") for i in range(6)]
    calls = []
    for index, request in enumerate(requests):
        calls.append(lambda r=request, i=index: approve(as_bob, r["id"], key=f"pay-{i}"))
        calls.append(lambda r=request, i=index: cancel(as_alice, r["id"], key=f"cancel-{i}"))

    results = all_at_once(calls)

    paid = 0
    for index, request in enumerate(requests):
        approval, cancellation = results[2 * index : 2 * index + 2]
        outcome = sorted(codes(approval) + codes(cancellation))
        assert outcome == ["PAYMENT_REQUEST_NOT_PENDING"], (approval, cancellation)
        status = PaymentRequest.objects.get(pk=pk(request)).status
        assert status == ("PAID" if approval["errors"] == [] else "CANCELLED")
        assert payments_of(pk(request)).filter(status="SUCCESS").count() == (status == "PAID")
        paid += status == "PAID"
    assert (balance(alice), balance(bob)) == (Decimal("5.00") * paid, Decimal("100.00") - Decimal("5.00") * paid)
    assert audit_ledger().problems == []


def test_an_approval_queued_behind_a_cancel_holding_the_lock_pays_nothing(
    as_alice, as_bob, alice, bob, fund, holding, long_lock_waits
):
    fund(bob, "100.00")
    request = asked(as_alice)
    locked, release = holding("CANCELLED")
    with ThreadPoolExecutor(max_workers=2) as pool:
        cancelling = pool.submit(cancel, as_alice, request["id"])
        assert locked.wait(15)  # the cancel holds the request's lock
        approving = pool.submit(approve, as_bob, request["id"])
        wait_for_a_lock_wait()  # the approval waits for that lock
        release.set()
        cancelled, approval = cancelling.result(30), approving.result(30)

    assert cancelled["errors"] == [] and cancelled["paymentRequest"]["status"] == "CANCELLED"
    assert codes(approval) == ["PAYMENT_REQUEST_NOT_PENDING"]
    assert payments_of(pk(request)).count() == 0 and balance(bob) == Decimal("100.00")


def test_a_cancel_queued_behind_an_approval_holding_the_lock_finds_it_paid(
    as_alice, as_bob, alice, bob, fund, holding, long_lock_waits
):
    fund(bob, "100.00")
    request = asked(as_alice)
    locked, release = holding("PAID")
    with ThreadPoolExecutor(max_workers=2) as pool:
        approving = pool.submit(approve, as_bob, request["id"])
        assert locked.wait(15)  # the approval posted the transfer and holds the request's lock
        cancelling = pool.submit(cancel, as_alice, request["id"])
        wait_for_a_lock_wait()
        release.set()
        approval, cancelled = approving.result(30), cancelling.result(30)

    assert approval["errors"] == [] and approval["paymentRequest"]["status"] == "PAID"
    assert codes(cancelled) == ["PAYMENT_REQUEST_NOT_PENDING"]
    assert PaymentRequest.objects.get().status == "PAID"
    assert (balance(alice), balance(bob)) == (Decimal("25.00"), Decimal("75.00"))


def test_approvals_racing_the_expiry_pass_pay_or_expire_each_request_once(as_alice, as_bob, alice, bob, fund, clock):
    fund(bob, "100.00")
    requests = [asked(as_alice, key=f"ask-{i}", amount="5.00", expiresInSeconds=60) for i in range(6)]
    clock.advance(seconds=59)  # the approvals come a second before the expiry; the pass runs past it
    expiry = clock.now + timedelta(seconds=2)
    passes = [lambda: payment_requests_expire(now=expiry) for _ in range(2)]
    approvals = [lambda r=r, i=i: approve(as_bob, r["id"], key=f"pay-{i}") for i, r in enumerate(requests)]

    results = all_at_once(approvals + passes)

    paid = 0
    for request, approval in zip(requests, results, strict=False):
        status = PaymentRequest.objects.get(pk=pk(request)).status
        # A pass skips a request whose approval holds it; a later pass expires it if it is still pending.
        assert status in ("PAID", "EXPIRED", "PENDING")
        assert (approval["errors"] == []) == (status == "PAID"), (approval, status)
        if status != "PAID":
            assert codes(approval) == ["PAYMENT_REQUEST_NOT_PENDING"]
        assert payments_of(pk(request)).filter(status="SUCCESS").count() == (status == "PAID")
        paid += status == "PAID"
    assert sum(results[len(requests) :]) == len(requests) - paid
    assert payment_requests_expire(now=expiry) == 0
    assert PaymentRequest.objects.filter(status="PENDING").count() == 0
    assert (balance(alice), balance(bob)) == (Decimal("5.00") * paid, Decimal("100.00") - Decimal("5.00") * paid)
    expired_events = OutboxEvent.objects.filter(event_type="payment_request.expired").count()
    assert expired_events == len(requests) - paid
    assert audit_ledger().problems == []


def test_an_approval_queued_behind_the_expiry_pass_holding_the_lock_pays_nothing(
    as_alice, as_bob, alice, bob, fund, clock, holding, long_lock_waits
):
    fund(bob, "100.00")
    request = asked(as_alice, expiresInSeconds=60)
    clock.advance(seconds=59)  # the approval comes a second before the expiry, the pass just after it
    locked, release = holding("EXPIRED")
    with ThreadPoolExecutor(max_workers=2) as pool:
        expiring = pool.submit(expire_on_its_own_thread, now=clock.now + timedelta(seconds=2))
        assert locked.wait(15)  # the pass holds the request's lock
        approving = pool.submit(approve, as_bob, request["id"])
        wait_for_a_lock_wait()
        release.set()
        expired, approval = expiring.result(30), approving.result(30)

    assert expired == 1 and codes(approval) == ["PAYMENT_REQUEST_NOT_PENDING"]
    assert PaymentRequest.objects.get().status == "EXPIRED"
    assert payments_of(pk(request)).count() == 0 and balance(bob) == Decimal("100.00")


def test_the_expiry_pass_leaves_a_request_an_approval_holds_and_the_approval_pays_it(
    as_alice, as_bob, alice, bob, fund, clock, holding
):
    fund(bob, "100.00")
    request = asked(as_alice, expiresInSeconds=60)
    clock.advance(seconds=59)
    locked, release = holding("PAID")
    with ThreadPoolExecutor(max_workers=1) as pool:
        approving = pool.submit(approve, as_bob, request["id"])
        assert locked.wait(15)  # the approval posted the transfer and holds the request's lock
        skipped = payment_requests_expire(now=clock.now + timedelta(seconds=2))  # the pass does not wait for it
        release.set()
        approval = approving.result(30)

    assert skipped == 0 and approval["errors"] == []
    assert payment_requests_expire(now=clock.now + timedelta(seconds=2)) == 0  # paid: nothing left to expire
    assert PaymentRequest.objects.get().status == "PAID"
    assert not OutboxEvent.objects.filter(event_type="payment_request.expired").exists()
    assert (balance(alice), balance(bob)) == (Decimal("25.00"), Decimal("75.00"))


def test_crossing_approvals_between_two_users_never_deadlock(as_alice, as_bob, alice, bob, fund):
    """Each approval locks its own request, then both wallets in id order: two users paying each other's requests at
    once cannot lock in a cycle."""
    fund(alice, "100.00")
    fund(bob, "100.00")
    from_bob = [asked(as_alice, key=f"a-{i}", amount="1.00") for i in range(5)]
    from_alice = [asked(as_bob, key=f"b-{i}", amount="2.00", payerUsername="alice") for i in range(5)]
    calls = [lambda r=r: approve(as_bob, r["id"], key=f"pay-{r['id']}") for r in from_bob]
    calls += [lambda r=r: approve(as_alice, r["id"], key=f"pay-{r['id']}") for r in from_alice]

    results = all_at_once(calls)

    assert all(result["errors"] == [] for result in results), results
    assert PaymentRequest.objects.filter(status="PAID").count() == 10
    assert (balance(alice), balance(bob)) == (Decimal("95.00"), Decimal("105.00"))
    assert audit_ledger().problems == []
