"""The staff API over HTTP (/staff/graphql/): hidden from everyone but active staff, each field behind its own
permission, each action audited in its own transaction, the audit append-only down to raw SQL, and the admin's
actions writing the same audit."""

import uuid
from decimal import Decimal

import pytest
import requests
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.utils import IntegrityError, InternalError

from tests.support.api import GraphQLApi
from wallet.models import (
    AppendOnlyError,
    Receipt,
    StaffAuditRecord,
    Transaction,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from wallet.services import transfer_create
from wallet.services.api_keys import api_key_create

pytestmark = pytest.mark.django_db(transaction=True)

REVERSE = """
mutation($input: StaffReverseTransactionInput!) { staffReverseTransaction(input: $input) {
  transaction { id kind status amount failureCode }
  auditRecord { id actor action reason targetType targetId targetWalletId before after source requestId }
  replayed errors { code field message } } }
"""
RESEND_WEBHOOK = """
mutation($input: StaffResendWebhookInput!) { staffResendWebhook(input: $input) {
  delivery { id eventId status redelivery } auditRecord { id action targetType targetId before after }
  replayed errors { code field } } }
"""
RESEND_RECEIPT = """
mutation($input: StaffResendReceiptInput!) { staffResendReceipt(input: $input) {
  transaction { id } receipts { walletId status } auditRecord { id action targetId before after }
  replayed errors { code field } } }
"""
AUDIT = """
query($first: Int, $after: String, $actor: String, $wallet: ID, $action: StaffAction) {
  staffAuditRecords(first: $first, after: $after, actor: $actor, targetWallet: $wallet, action: $action) {
    totalCount edges { cursor node { id actor action reason targetWalletId } } pageInfo { hasNextPage endCursor } } }
"""
ALL_PERMISSIONS = ["freeze_wallet", "set_wallet_tier", "reverse_transaction", "resend_notification", "view_staff_audit"]


@pytest.fixture
def staff_url(live_server):
    return f"{live_server.url}/staff/graphql/"


@pytest.fixture
def make_staff(db):
    """A staff member with no wallet of their own, holding the given permissions."""

    def make(username: str = "operator", *permissions: str, active: bool = True) -> User:
        user = User.objects.create_user(username=username, password="s3cure-Passw0rd", is_staff=True)
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="wallet", codename__in=permissions))
        if not active:
            User.objects.filter(pk=user.pk).update(is_active=False)
        return user

    return make


@pytest.fixture
def operator(make_staff):
    return make_staff("operator", *ALL_PERMISSIONS)


@pytest.fixture
def as_operator(staff_url, operator, token_for):
    return GraphQLApi(staff_url, token_for(operator))


@pytest.fixture
def payment(alice, bob, fund):
    """alice paid bob 30.00; bob has 30.00, alice 70.00."""
    fund(alice, "100.00")
    result = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("30.00"), idempotency_key="pay-1")
    assert result.error is None
    return result.transaction


def global_id(type_name: str, pk: int) -> str:
    from strawberry.relay import to_base64

    return to_base64(type_name, pk)


def reverse_input(txn, key="rev-1", **extra):
    return {
        "input": {
            "transactionId": global_id("Transaction", txn.pk),
            "reason": "Fraud case 42",
            "idempotencyKey": key,
            **extra,
        }
    }


def balance(user) -> Decimal:
    user.wallet.refresh_from_db()
    return user.wallet.balance


# Hidden from everyone but active staff.


def test_everyone_but_active_staff_gets_the_404_of_a_path_that_does_not_exist(
    live_server, staff_url, alice, make_staff, token_for
):
    nowhere = requests.post(f"{live_server.url}/staff/nothing-here/", json={"query": "{ __typename }"}, timeout=30)
    assert nowhere.status_code == 404
    staff_with_key = make_staff("keyholder", *ALL_PERMISSIONS)
    User.objects.filter(pk=staff_with_key.pk).update(is_superuser=True)
    callers = {
        "anonymous": {},
        "ordinary user": {"Authorization": f"Bearer {token_for(alice)}"},
        "bad token": {"Authorization": "Bearer not-a-token"},
        "api key of a superuser": {
            "Authorization": f"ApiKey {api_key_create(owner=staff_with_key, name='k', scopes=['READ']).secret}"
        },
        "inactive staff": {"Authorization": f"Bearer {token_for(make_staff('gone', *ALL_PERMISSIONS, active=False))}"},
    }
    for caller, headers in callers.items():
        for method in ("post", "get"):
            response = getattr(requests, method)(
                staff_url, json={"query": "{ __schema { types { name } } }"}, headers=headers, timeout=30
            )
            assert response.status_code == 404, (caller, method)
            assert response.content == nowhere.content, (caller, method)
    # The public API knows nothing of the staff fields either.
    public = GraphQLApi(f"{live_server.url}/graphql/", token_for(staff_with_key)).request(
        "{ staffAuditRecords { totalCount } }"
    )
    assert public.errors and public.data is None


def test_a_staff_member_without_the_permission_is_forbidden_and_nothing_happens(
    staff_url, make_staff, token_for, payment, bob
):
    clerk = GraphQLApi(staff_url, token_for(make_staff("clerk", "view_staff_audit")))

    for document, variables in [
        (REVERSE, reverse_input(payment)),
        (
            RESEND_RECEIPT,
            {
                "input": {
                    "transactionId": global_id("Transaction", payment.pk),
                    "reason": "asked",
                    "idempotencyKey": "r",
                }
            },
        ),
        (RESEND_WEBHOOK, {"input": {"deliveryId": "1", "reason": "asked", "idempotencyKey": "w"}}),
    ]:
        response = clerk.request(document, variables)
        assert response.error_codes == ["FORBIDDEN"]
        assert response.data is None
    assert StaffAuditRecord.objects.count() == 0
    assert not Transaction.objects.filter(kind=Transaction.Kind.REVERSAL).exists()
    assert balance(bob) == Decimal("30.00")

    no_audit = GraphQLApi(staff_url, token_for(make_staff("reverser", "reverse_transaction")))
    assert no_audit.request(AUDIT).error_codes == ["FORBIDDEN"]


# staffReverseTransaction


def test_staff_reverse_on_the_receivers_behalf_with_an_audit_record_and_replay(
    as_operator, operator, payment, alice, bob
):
    answer = as_operator.execute(REVERSE, reverse_input(payment, amount="12.50"))["staffReverseTransaction"]

    assert answer["errors"] == []
    assert answer["replayed"] is False
    assert answer["transaction"]["kind"] == "REVERSAL"
    assert answer["transaction"]["status"] == "SUCCESS"
    assert answer["transaction"]["amount"] == "12.50"
    assert balance(bob) == Decimal("17.50")
    assert balance(alice) == Decimal("82.50")
    reversal = Transaction.objects.get(kind=Transaction.Kind.REVERSAL)
    assert reversal.initiator == bob  # on the receiver's behalf; the operator has no wallet
    assert reversal.original_id == payment.pk
    record = StaffAuditRecord.objects.get()
    assert (record.actor, record.action, record.reason) == (operator, "REVERSE_TRANSACTION", "Fraud case 42")
    assert (record.target_type, record.target_id, record.target_wallet_id) == (
        "Transaction",
        str(payment.pk),
        bob.wallet.pk,
    )
    assert record.before == {"reversed_amount": "0.00", "receiver_balance": "30.00"}
    assert record.after == {
        "reversal_id": reversal.pk,
        "status": "SUCCESS",
        "amount": "12.50",
        "failure_code": "",
        "reversed_amount": "12.50",
        "receiver_balance": "17.50",
    }
    assert record.source == "API"
    assert record.request_id  # the request's X-Request-ID
    assert answer["auditRecord"]["id"] == str(record.pk)
    assert answer["auditRecord"]["actor"] == "operator"
    assert answer["auditRecord"]["targetWalletId"] == global_id("Wallet", bob.wallet.pk)

    # The same key again: the same outcome, nothing more moves or is recorded.
    again = as_operator.execute(REVERSE, reverse_input(payment, amount="12.50"))["staffReverseTransaction"]
    assert again["replayed"] is True
    assert again["transaction"]["id"] == answer["transaction"]["id"]
    assert again["auditRecord"]["id"] == answer["auditRecord"]["id"]
    assert balance(bob) == Decimal("17.50")
    assert StaffAuditRecord.objects.count() == 1
    # The same key with other parameters: refused.
    reused = as_operator.execute(REVERSE, reverse_input(payment, amount="1.00"))["staffReverseTransaction"]
    assert [(e["code"], e["field"]) for e in reused["errors"]] == [("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")]
    # A new key without an amount returns what is left.
    rest = as_operator.execute(REVERSE, reverse_input(payment, key="rev-2"))["staffReverseTransaction"]
    assert rest["transaction"]["amount"] == "17.50"
    assert balance(bob) == Decimal("0.00")
    assert balance(alice) == Decimal("100.00")


def test_the_same_key_sent_at_once_acts_once(as_operator, payment, alice, bob):
    """Requests racing with one key: one reverses and is recorded; the others wait for it and replay it."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: as_operator.execute(REVERSE, reverse_input(payment)), range(4)))

    outcomes = [answer["staffReverseTransaction"] for answer in answers]
    assert all(outcome["errors"] == [] for outcome in outcomes)
    assert sorted(outcome["replayed"] for outcome in outcomes) == [False, True, True, True]
    assert len({outcome["transaction"]["id"] for outcome in outcomes}) == 1
    assert len({outcome["auditRecord"]["id"] for outcome in outcomes}) == 1
    assert StaffAuditRecord.objects.count() == 1
    assert Transaction.objects.filter(kind=Transaction.Kind.REVERSAL).count() == 1
    assert (balance(bob), balance(alice)) == (Decimal("0.00"), Decimal("100.00"))


def test_staff_reversal_refusals_record_nothing_and_move_nothing(as_operator, payment, alice, bob, fund):
    cases = [
        (reverse_input(payment, reason="no"), ("INVALID_INPUT", "reason")),
        (reverse_input(payment, reason="x" * 501), ("INVALID_INPUT", "reason")),
        (
            {"input": {"transactionId": global_id("Transaction", 999999), "reason": "Fraud", "idempotencyKey": "k"}},
            ("TRANSACTION_NOT_FOUND", "transactionId"),
        ),
        (reverse_input(Transaction.objects.get(kind="ADD_MONEY"), key="k2"), ("NOT_REVERSIBLE", "transactionId")),
        (reverse_input(payment, key="~mine"), ("INVALID_INPUT", "idempotencyKey")),
        (reverse_input(payment, key="k3", amount="31.00"), ("REVERSAL_EXCEEDS_ORIGINAL", "amount")),
    ]
    for variables, expected in cases:
        answer = as_operator.execute(REVERSE, variables)["staffReverseTransaction"]
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [expected], variables
        if expected[0] != "REVERSAL_EXCEEDS_ORIGINAL":
            assert answer["auditRecord"] is None
    assert balance(bob) == Decimal("30.00")
    assert balance(alice) == Decimal("70.00")
    # Only the engine's refusal is durable (a FAILED reversal in the ledger), and so only it is recorded.
    failed = Transaction.objects.get(kind=Transaction.Kind.REVERSAL)
    assert failed.status == Transaction.Status.FAILED
    record = StaffAuditRecord.objects.get()
    assert record.after["status"] == "FAILED"
    assert record.after["failure_code"] == "REVERSAL_EXCEEDS_ORIGINAL"
    assert record.after["reversal_id"] == failed.pk


def test_a_failed_audit_write_undoes_the_action(as_operator, payment, alice, bob, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise IntegrityError("the audit table refused the row")

    monkeypatch.setattr(StaffAuditRecord, "save", refuse)
    # The live server runs in this process: its request meets the patched save.
    response = as_operator.request(REVERSE, reverse_input(payment))

    assert response.data is None
    assert response.error_codes == ["INTERNAL_SERVER_ERROR"]
    assert not Transaction.objects.filter(kind=Transaction.Kind.REVERSAL).exists()
    assert balance(bob) == Decimal("30.00")
    assert balance(alice) == Decimal("70.00")


# The audit is append-only.


def test_the_audit_cannot_be_updated_or_deleted_even_by_raw_sql(as_operator, payment):
    as_operator.execute(REVERSE, reverse_input(payment))
    record = StaffAuditRecord.objects.get()

    for statement in (
        "UPDATE wallet_staffauditrecord SET reason = 'nothing to see' WHERE id = %s",
        "DELETE FROM wallet_staffauditrecord WHERE id = %s",
    ):
        with pytest.raises((IntegrityError, InternalError), match="append-only"), connection.cursor() as cursor:
            cursor.execute(statement, [record.pk])
    with pytest.raises(AppendOnlyError):
        StaffAuditRecord.objects.filter(pk=record.pk).update(reason="nothing to see")
    with pytest.raises(AppendOnlyError):
        record.delete()
    record.refresh_from_db()
    assert record.reason == "Fraud case 42"


# staffResendWebhook and staffResendReceipt


def test_staff_resend_webhook_redelivers_any_owners_delivery_once_per_key(as_operator, operator, alice):
    endpoint = WebhookEndpoint.objects.create(
        owner=alice, url="https://shop.example/hook", event_types=["transaction.succeeded"], secret="s" * 32
    )
    original = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_id=uuid.uuid4(),
        event_type="transaction.succeeded",
        body="{}",
        status="FAILED",
        attempts=5,
    )
    variables = {"input": {"deliveryId": str(original.pk), "reason": "Merchant asked", "idempotencyKey": "w-1"}}

    answer = as_operator.execute(RESEND_WEBHOOK, variables)["staffResendWebhook"]

    assert answer["errors"] == []
    assert answer["delivery"]["eventId"] == str(original.event_id)
    assert answer["delivery"]["status"] == "PENDING"
    assert answer["delivery"]["redelivery"] is True
    redelivery = WebhookDelivery.objects.exclude(pk=original.pk).get()
    record = StaffAuditRecord.objects.get()
    assert (record.actor, record.action, record.reason) == (operator, "RESEND_WEBHOOK", "Merchant asked")
    assert (record.target_type, record.target_id, record.target_wallet_id) == (
        "WebhookDelivery",
        str(original.pk),
        alice.wallet.pk,
    )
    assert record.before == {"status": "FAILED", "attempts": 5}
    assert record.after == {"redelivery_id": redelivery.pk, "status": "PENDING", "event_id": str(original.event_id)}

    again = as_operator.execute(RESEND_WEBHOOK, variables)["staffResendWebhook"]
    assert again["replayed"] is True
    assert again["delivery"]["id"] == answer["delivery"]["id"]
    assert WebhookDelivery.objects.count() == 2
    assert StaffAuditRecord.objects.count() == 1

    missing = as_operator.execute(
        RESEND_WEBHOOK, {"input": {"deliveryId": "999999", "reason": "Merchant asked", "idempotencyKey": "w-2"}}
    )["staffResendWebhook"]
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("INVALID_INPUT", "deliveryId")]
    assert StaffAuditRecord.objects.count() == 1


def test_staff_resend_receipt_queues_every_participants_receipt(as_operator, operator, payment, alice, bob):
    variables = {
        "input": {
            "transactionId": global_id("Transaction", payment.pk),
            "reason": "Lost the email",
            "idempotencyKey": "r-1",
        }
    }

    answer = as_operator.execute(RESEND_RECEIPT, variables)["staffResendReceipt"]

    assert answer["errors"] == []
    wallets = {global_id("Wallet", alice.wallet.pk), global_id("Wallet", bob.wallet.pk)}
    # Queued, and rendered by the (eager, in tests) task queue once the action committed.
    assert {r["walletId"] for r in answer["receipts"]} == wallets
    assert set(Receipt.objects.filter(transaction=payment).values_list("status", flat=True)) == {"READY"}
    record = StaffAuditRecord.objects.get()
    assert (record.actor, record.action, record.target_id) == (operator, "RESEND_RECEIPT", str(payment.pk))
    assert record.before == {"receipts": {}}
    assert record.after == {"receipts": {str(alice.wallet.pk): "PENDING", str(bob.wallet.pk): "PENDING"}}

    again = as_operator.execute(RESEND_RECEIPT, variables)["staffResendReceipt"]
    assert again["replayed"] is True
    assert again["auditRecord"]["id"] == answer["auditRecord"]["id"]
    assert StaffAuditRecord.objects.count() == 1


# staffAuditRecords


def test_the_audit_trail_pages_newest_first_and_filters(as_operator, make_staff, token_for, staff_url, payment, bob):
    other = GraphQLApi(staff_url, token_for(make_staff("second", *ALL_PERMISSIONS)))
    as_operator.execute(REVERSE, reverse_input(payment, key="a", amount="1.00"))
    other.execute(REVERSE, reverse_input(payment, key="b", amount="1.00"))
    as_operator.execute(
        RESEND_RECEIPT,
        {"input": {"transactionId": global_id("Transaction", payment.pk), "reason": "Lost it", "idempotencyKey": "c"}},
    )
    ids = list(StaffAuditRecord.objects.order_by("-id").values_list("id", flat=True))

    first = as_operator.execute(AUDIT, {"first": 2})["staffAuditRecords"]
    assert first["totalCount"] == 3
    assert [e["node"]["id"] for e in first["edges"]] == [str(pk) for pk in ids[:2]]
    assert first["pageInfo"]["hasNextPage"] is True
    second = as_operator.execute(AUDIT, {"first": 2, "after": first["pageInfo"]["endCursor"]})["staffAuditRecords"]
    assert [e["node"]["id"] for e in second["edges"]] == [str(ids[2])]
    assert second["pageInfo"]["hasNextPage"] is False

    by_actor = as_operator.execute(AUDIT, {"actor": "SECOND"})["staffAuditRecords"]
    assert [e["node"]["actor"] for e in by_actor["edges"]] == ["second"]
    by_action = as_operator.execute(AUDIT, {"action": "REVERSE_TRANSACTION"})["staffAuditRecords"]
    assert by_action["totalCount"] == 2
    by_wallet = as_operator.execute(AUDIT, {"wallet": global_id("Wallet", bob.wallet.pk)})["staffAuditRecords"]
    assert by_wallet["totalCount"] == 2  # the reversals debit bob's wallet; the receipts have no one wallet
    assert as_operator.execute(AUDIT, {"wallet": "nonsense"})["staffAuditRecords"]["totalCount"] == 0


# The Django admin


def test_admin_actions_ask_why_and_write_the_same_audit(client, operator, payment, alice, bob):
    operator.user_permissions.add(Permission.objects.get(codename="view_transaction"))
    client.force_login(operator)
    changelist = "/admin/wallet/transaction/"
    selected = {"action": "reverse_on_behalf", "_selected_action": [str(payment.pk)]}

    page = client.post(changelist, selected)
    assert page.status_code == 200
    assert b"reason" in page.content  # the intermediate page asks why
    key = page.context["form"].initial["idempotency_key"]
    assert not Transaction.objects.filter(kind=Transaction.Kind.REVERSAL).exists()

    short = client.post(changelist, {**selected, "apply": "1", "reason": "x", "idempotency_key": key, "amount": ""})
    assert short.status_code == 200  # the form again, with its error; nothing done
    assert StaffAuditRecord.objects.count() == 0

    submitted = {**selected, "apply": "1", "reason": "Chargeback 7", "idempotency_key": key, "amount": "5.00"}
    done = client.post(changelist, submitted)
    assert done.status_code == 302
    client.post(changelist, submitted)  # the same page submitted twice: replayed, not repeated
    assert balance(bob) == Decimal("25.00")
    assert balance(alice) == Decimal("75.00")
    record = StaffAuditRecord.objects.get()
    assert (record.actor, record.action, record.reason, record.source) == (
        operator,
        "REVERSE_TRANSACTION",
        "Chargeback 7",
        "ADMIN",
    )
    assert record.after["amount"] == "5.00"

    # The audit trail is read-only in the admin.
    audit = f"/admin/wallet/staffauditrecord/{record.pk}/"
    assert client.get("/admin/wallet/staffauditrecord/?action__exact=REVERSE_TRANSACTION").status_code == 200
    assert client.get("/admin/wallet/staffauditrecord/add/").status_code == 403
    client.post(audit + "change/", {"reason": "edited"})
    client.post(audit + "delete/", {"post": "yes"})
    record.refresh_from_db()
    assert record.reason == "Chargeback 7"


def test_admin_actions_need_their_permission(client, make_staff, payment):
    clerk = make_staff("clerk2", "view_staff_audit")
    User.objects.filter(pk=clerk.pk).update(is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_transaction"))
    client.force_login(clerk)

    response = client.post(
        "/admin/wallet/transaction/",
        {
            "action": "reverse_on_behalf",
            "_selected_action": [str(payment.pk)],
            "apply": "1",
            "reason": "Because",
            "idempotency_key": "k",
        },
    )

    assert response.status_code in (200, 302)
    assert StaffAuditRecord.objects.count() == 0
    assert not Transaction.objects.filter(kind=Transaction.Kind.REVERSAL).exists()


# Wallet controls: freeze, unfreeze, tier and limits (the engine's services, wallet/services/controls.py)

FREEZE = """
mutation($input: StaffFreezeWalletInput!) { staffFreezeWallet(input: $input) {
  wallet { id frozenFor } freeze { id scope reasonCode note setByStaff }
  auditRecord { id action reason targetType targetId before after } replayed errors { code field } } }
"""
UNFREEZE = """
mutation($input: StaffUnfreezeWalletInput!) { staffUnfreezeWallet(input: $input) {
  wallet { frozenFor } auditRecord { id action before after } replayed errors { code field } } }
"""
SET_TIER = """
mutation($input: StaffSetWalletTierInput!) { staffSetWalletTier(input: $input) {
  wallet { id } auditRecord { id action before after } replayed errors { code field } } }
"""
SET_LIMITS = """
mutation($input: StaffSetWalletLimitsInput!) { staffSetWalletLimits(input: $input) {
  wallet { dailyTransferLimit } auditRecord { id action before after } replayed
  errors { code field } } }
"""
PUBLIC_TRANSFER = """
mutation($input: TransferInput!) { transfer(input: $input) { transaction { status failureCode } errors { code } } }
"""


def freeze_input(key="f-1", **extra):
    fields = {"username": "Alice", "scope": "DEBITS", "reasonCode": "FRAUD_SUSPECTED", "note": "Call us"}
    return {"input": {**fields, "reason": "Card testing seen", "idempotencyKey": key, **extra}}


def test_staff_freeze_stops_the_owners_debits_is_audited_and_replays(as_operator, operator, as_alice, alice, bob, fund):
    fund(alice, "50.00")

    answer = as_operator.execute(FREEZE, freeze_input())["staffFreezeWallet"]

    assert answer["errors"] == []
    assert answer["wallet"]["frozenFor"] == "DEBITS"
    assert answer["freeze"]["setByStaff"] is True
    assert (answer["freeze"]["reasonCode"], answer["freeze"]["note"]) == ("FRAUD_SUSPECTED", "Call us")
    record = StaffAuditRecord.objects.get()
    assert (record.actor, record.action, record.reason) == (operator, "FREEZE_WALLET", "Card testing seen")
    assert (record.target_type, record.target_id, record.target_wallet_id) == (
        "WalletFreeze",
        answer["freeze"]["id"],
        alice.wallet.pk,
    )
    assert record.before["frozen_scope"] is None
    assert record.after["frozen_scope"] == "DEBITS"
    assert record.after["active_freezes"] == [int(answer["freeze"]["id"])]
    # The engine refuses the owner's payment now.
    paid = as_alice.execute(
        PUBLIC_TRANSFER, {"input": {"receiverUsername": "bob", "amount": "5.00", "idempotencyKey": "p"}}
    )["transfer"]
    assert paid["transaction"]["status"] == "FAILED"
    assert balance(bob) == Decimal("0.00")

    again = as_operator.execute(FREEZE, freeze_input())["staffFreezeWallet"]
    assert again["replayed"] is True
    assert again["freeze"]["id"] == answer["freeze"]["id"]
    assert StaffAuditRecord.objects.count() == 1
    from wallet.models import WalletFreeze

    assert WalletFreeze.objects.count() == 1

    # Lifted by staff: audited; a second lift (another key) finds nothing to lift and records nothing.
    lift = {"username": "alice", "freezeId": answer["freeze"]["id"], "reason": "Customer verified by phone"}
    lifted = as_operator.execute(UNFREEZE, {"input": {**lift, "idempotencyKey": "u-1"}})["staffUnfreezeWallet"]
    assert lifted["errors"] == []
    assert lifted["wallet"]["frozenFor"] is None
    assert lifted["auditRecord"]["action"] == "UNFREEZE_WALLET"
    assert lifted["auditRecord"]["before"]["frozen_scope"] == "DEBITS"
    assert lifted["auditRecord"]["after"]["frozen_scope"] is None
    replayed = as_operator.execute(UNFREEZE, {"input": {**lift, "idempotencyKey": "u-1"}})["staffUnfreezeWallet"]
    assert replayed["replayed"] is True
    assert replayed["auditRecord"]["id"] == lifted["auditRecord"]["id"]
    twice = as_operator.execute(UNFREEZE, {"input": {**lift, "idempotencyKey": "u-2"}})["staffUnfreezeWallet"]
    assert [(e["code"], e["field"]) for e in twice["errors"]] == [("FREEZE_NOT_FOUND", "freezeId")]
    assert StaffAuditRecord.objects.count() == 2


def test_staff_freeze_refusals_record_nothing(as_operator, alice, make_staff, token_for, staff_url):
    cases = [
        (freeze_input(username=None), ("INVALID_INPUT", "walletId")),
        (freeze_input(walletId=global_id("Wallet", alice.wallet.pk)), ("INVALID_INPUT", "walletId")),
        (freeze_input(username="nobody"), ("INVALID_INPUT", "username")),
        (freeze_input(reason="  "), ("INVALID_INPUT", "reason")),
    ]
    for variables, expected in cases:
        answer = as_operator.execute(FREEZE, variables)["staffFreezeWallet"]
        assert [(e["code"], e["field"]) for e in answer["errors"]] == [expected], variables
    no_permission = GraphQLApi(staff_url, token_for(make_staff("tiers-only", "set_wallet_tier")))
    assert no_permission.request(FREEZE, freeze_input(key="f-9")).error_codes == ["FORBIDDEN"]
    assert StaffAuditRecord.objects.count() == 0
    alice.wallet.refresh_from_db()
    assert not alice.wallet.frozen_scope


def test_staff_set_tier_and_limits_are_audited(as_operator, operator, alice, as_alice):
    by_id = {"walletId": global_id("Wallet", alice.wallet.pk), "reason": "KYC passed"}

    tier = as_operator.execute(SET_TIER, {"input": {**by_id, "tier": "VERIFIED", "idempotencyKey": "t-1"}})
    assert tier["staffSetWalletTier"]["errors"] == []
    assert tier["staffSetWalletTier"]["wallet"]["id"] == by_id["walletId"]
    alice.wallet.refresh_from_db()
    assert alice.wallet.tier_id == "VERIFIED"
    record = StaffAuditRecord.objects.get()
    assert (record.action, record.before["tier"], record.after["tier"]) == ("SET_WALLET_TIER", "BASIC", "VERIFIED")
    replayed = as_operator.execute(SET_TIER, {"input": {**by_id, "tier": "VERIFIED", "idempotencyKey": "t-1"}})
    assert replayed["staffSetWalletTier"]["replayed"] is True
    assert replayed["staffSetWalletTier"]["auditRecord"]["id"] == str(record.pk)
    unknown = as_operator.execute(SET_TIER, {"input": {**by_id, "tier": "GOLD", "idempotencyKey": "t-2"}})
    assert [e["code"] for e in unknown["staffSetWalletTier"]["errors"]] == ["INVALID_INPUT"]

    limits = {**by_id, "daily": "10.00", "perTransaction": "5.00", "idempotencyKey": "l-1"}
    answer = as_operator.execute(SET_LIMITS, {"input": limits})["staffSetWalletLimits"]
    assert answer["errors"] == []
    assert answer["wallet"]["dailyTransferLimit"] == "10.00"
    alice.wallet.refresh_from_db()
    assert (alice.wallet.daily_limit_override, alice.wallet.per_transaction_override) == (
        Decimal("10.00"),
        Decimal("5.00"),
    )
    assert answer["auditRecord"]["before"]["daily_limit_override"] is None
    assert answer["auditRecord"]["after"]["daily_limit_override"] == "10.00"
    assert answer["auditRecord"]["after"]["per_transaction_override"] == "5.00"
    replay = as_operator.execute(SET_LIMITS, {"input": limits})["staffSetWalletLimits"]
    assert replay["replayed"] is True
    assert replay["auditRecord"]["id"] == answer["auditRecord"]["id"]
    # null clears an override (the tier's limit applies again); what is left out stays.
    cleared = as_operator.execute(SET_LIMITS, {"input": {**by_id, "perTransaction": None, "idempotencyKey": "l-2"}})[
        "staffSetWalletLimits"
    ]
    assert cleared["auditRecord"]["after"]["per_transaction_override"] is None
    assert cleared["auditRecord"]["after"]["daily_limit_override"] == "10.00"
    alice.wallet.refresh_from_db()
    assert (alice.wallet.daily_limit_override, alice.wallet.per_transaction_override) == (Decimal("10.00"), None)
    # The owner sees what staff set.
    seen = as_alice.execute("{ wallet { limits { tier daily { limit } perTransaction } } }")["wallet"]["limits"]
    assert seen == {"tier": "VERIFIED", "daily": {"limit": "10.00"}, "perTransaction": "25000.00"}
    negative = as_operator.execute(SET_LIMITS, {"input": {**by_id, "daily": "-1.00", "idempotencyKey": "l-3"}})
    assert [(e["code"], e["field"]) for e in negative["staffSetWalletLimits"]["errors"]] == [
        ("INVALID_AMOUNT", "daily")
    ]
    assert StaffAuditRecord.objects.count() == 3


def test_admin_wallet_actions_write_the_same_audit(client, operator, alice):
    operator.user_permissions.add(Permission.objects.get(codename="view_wallet"))
    client.force_login(operator)
    changelist = "/admin/wallet/wallet/"
    selected = {"_selected_action": [str(alice.wallet.pk)], "apply": "1", "reason": "Compliance hold"}

    client.post(
        changelist,
        {
            **selected,
            "action": "freeze",
            "idempotency_key": "a1",
            "scope": "ALL",
            "reason_code": "COMPLIANCE_REVIEW",
            "note": "",
        },
    )
    alice.wallet.refresh_from_db()
    assert alice.wallet.frozen_scope == "ALL"
    client.post(changelist, {**selected, "action": "set_tier", "idempotency_key": "a2", "tier": "BUSINESS"})
    client.post(changelist, {**selected, "action": "unfreeze", "idempotency_key": "a3"})

    alice.wallet.refresh_from_db()
    assert not alice.wallet.frozen_scope
    assert alice.wallet.tier_id == "BUSINESS"
    records = list(StaffAuditRecord.objects.order_by("id"))
    assert [(r.action, r.source, r.actor, r.reason) for r in records] == [
        ("FREEZE_WALLET", "ADMIN", operator, "Compliance hold"),
        ("SET_WALLET_TIER", "ADMIN", operator, "Compliance hold"),
        ("UNFREEZE_WALLET", "ADMIN", operator, "Compliance hold"),
    ]
    assert records[0].after["frozen_scope"] == "ALL"
    assert records[1].after["tier"] == "BUSINESS"
