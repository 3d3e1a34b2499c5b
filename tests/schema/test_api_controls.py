"""A wallet's controls over real HTTP (issue 16): the owner's freeze switch, the limits a client sees, and the
races the engine's locks decide (a freeze committing while transfers are in flight, a monthly limit hit at once)."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection, transaction

from tests.schema import documents as doc
from wallet.ledger_audit import audit_ledger
from wallet.models import FeeRule, Transaction, Wallet, WalletFreeze
from wallet.services.controls import wallet_freeze, wallet_set_limit_overrides

ERRORS = "errors { code field message }"
FREEZE = f"""
mutation($input: FreezeMyWalletInput!) {{
  freezeMyWallet(input: $input) {{
    wallet {{ frozenFor }} freeze {{ id scope reasonCode note setByStaff createdAt }} {ERRORS}
  }}
}}"""
UNFREEZE = f"""
mutation($input: UnfreezeMyWalletInput!) {{
  unfreezeMyWallet(input: $input) {{ wallet {{ frozenFor freezes {{ id }} }} {ERRORS} }}
}}"""
TRANSFER_WITH_FEE = f"""
mutation($input: TransferInput!) {{
  transfer(input: $input) {{ transaction {{ amount fee status }} wallet {{ balance }} {ERRORS} }}
}}"""
CONTROLS = """
query {
  wallet {
    frozenFor freezes { id scope reasonCode note setByStaff }
    limits {
      tier maxBalance perTransaction
      daily { limit used remaining resetsAt }
      monthly { limit used remaining resetsAt }
    }
  }
}"""


def test_the_owner_freezes_their_wallet_and_lifts_it_over_http(as_alice, alice, bob, fund):
    fund(alice, "30.00")

    frozen = as_alice.execute(FREEZE, {"input": {"scope": "DEBITS", "note": "lost my phone", "idempotencyKey": "f1"}})
    payload = frozen["freezeMyWallet"]

    assert payload["errors"] == []
    assert payload["wallet"] == {"frozenFor": "DEBITS"}
    assert payload["freeze"]["reasonCode"] == "CUSTOMER_REQUEST" and payload["freeze"]["setByStaff"] is False
    refused = as_alice.execute(
        doc.TRANSFER, {"input": {"receiverUsername": "bob", "amount": "10.00", "idempotencyKey": "t"}}
    )["transfer"]
    assert refused["errors"][0]["code"] == "WALLET_FROZEN"
    assert refused["transaction"]["status"] == "FAILED" and refused["transaction"]["failureCode"] == "WALLET_FROZEN"
    wallet = as_alice.execute(CONTROLS)["wallet"]
    assert wallet["frozenFor"] == "DEBITS"
    assert wallet["freezes"] == [
        {
            "id": payload["freeze"]["id"],
            "scope": "DEBITS",
            "reasonCode": "CUSTOMER_REQUEST",
            "note": "lost my phone",
            "setByStaff": False,
        }
    ]

    lifted = as_alice.execute(UNFREEZE, {"input": {"freezeId": payload["freeze"]["id"], "idempotencyKey": "u1"}})

    assert lifted["unfreezeMyWallet"] == {"wallet": {"frozenFor": None, "freezes": []}, "errors": []}
    sent = as_alice.execute(
        doc.TRANSFER, {"input": {"receiverUsername": "bob", "amount": "10.00", "idempotencyKey": "t2"}}
    )["transfer"]
    assert sent["errors"] == [] and Wallet.objects.get(user=bob).balance == Decimal("10.00")


def test_freezing_again_with_the_same_key_answers_the_same_freeze(as_alice, alice):
    request = {"input": {"scope": "ALL", "idempotencyKey": "panic"}}

    first = as_alice.execute(FREEZE, request)["freezeMyWallet"]
    again = as_alice.execute(FREEZE, request)["freezeMyWallet"]
    other = as_alice.execute(FREEZE, {"input": {"scope": "CREDITS", "idempotencyKey": "panic"}})["freezeMyWallet"]

    assert first["freeze"]["id"] == again["freeze"]["id"]
    assert WalletFreeze.objects.count() == 1
    assert other["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_the_owner_cannot_lift_a_staff_freeze_nor_another_wallets(as_alice, alice, bob, make_user):
    staff = make_user("staffer")
    staff_freeze = wallet_freeze(
        wallet=alice.wallet, scope="ALL", reason_code="FRAUD_SUSPECTED", note="", by=staff, as_staff=True
    ).freeze
    bobs = wallet_freeze(
        wallet=bob.wallet, scope="ALL", reason_code="CUSTOMER_REQUEST", note="", by=bob, as_staff=False
    ).freeze

    for freeze in (staff_freeze, bobs):
        answer = as_alice.execute(UNFREEZE, {"input": {"freezeId": str(freeze.pk), "idempotencyKey": f"u{freeze.pk}"}})
        assert answer["unfreezeMyWallet"]["wallet"] is None
        assert [(e["code"], e["field"]) for e in answer["unfreezeMyWallet"]["errors"]] == [
            ("FREEZE_NOT_FOUND", "freezeId")
        ]
    assert WalletFreeze.objects.filter(lifted_at__isnull=True).count() == 2
    wallet = as_alice.execute(CONTROLS)["wallet"]
    assert wallet["frozenFor"] == "ALL" and wallet["freezes"][0]["setByStaff"] is True


def test_the_limits_tell_the_client_what_it_may_do(as_alice, alice, bob, fund, make_user):
    fund(alice, "100.00")
    staff = make_user("staffer")
    wallet_set_limit_overrides(wallet=alice.wallet, monthly=Decimal("500.00"), max_balance=Decimal("1000.00"), by=staff)
    as_alice.execute(doc.TRANSFER, {"input": {"receiverUsername": "bob", "amount": "30.00", "idempotencyKey": "t"}})

    limits = as_alice.execute(CONTROLS)["wallet"]["limits"]

    assert limits["tier"] == "BASIC"
    assert (limits["maxBalance"], limits["perTransaction"]) == ("1000.00", None)
    assert {key: limits["daily"][key] for key in ("limit", "used", "remaining")} == {
        "limit": "10000.00",
        "used": "30.00",
        "remaining": "9970.00",
    }
    assert {key: limits["monthly"][key] for key in ("limit", "used", "remaining")} == {
        "limit": "500.00",
        "used": "30.00",
        "remaining": "470.00",
    }
    assert (
        limits["monthly"]["resetsAt"] > limits["daily"]["resetsAt"]
        or limits["monthly"]["resetsAt"] == limits["daily"]["resetsAt"]
    )


@pytest.mark.django_db(transaction=True)
def test_every_transfer_that_locks_the_wallet_after_a_freeze_committed_is_refused(
    as_alice, alice, bob, fund, make_user
):
    """Transfers over HTTP race a staff freeze. The freeze locks the wallet row like the engine does; under its
    lock it notes the highest transaction id of the wallet's movements (ids are taken under the wallet's lock, so
    they follow the lock order). Every movement before it took effect; every one after it was refused."""
    fund(alice, "1000.00")
    staff = make_user("staffer")
    transfers = 12
    barrier = threading.Barrier(transfers)
    # The freeze starts once a few transfers have answered, so that the rest are in flight around it.
    answered, counting, some_answered = Counter(), threading.Lock(), threading.Event()
    boundary = {}

    def transfer(index):
        barrier.wait()
        result = as_alice.execute(
            doc.TRANSFER, {"input": {"receiverUsername": "bob", "amount": "1.00", "idempotencyKey": f"race-{index}"}}
        )["transfer"]
        with counting:
            answered["n"] += 1
            if answered["n"] >= 3:
                some_answered.set()
        return result

    def freeze():
        some_answered.wait()
        try:
            with transaction.atomic():
                wallet_freeze(
                    wallet=alice.wallet, scope="DEBITS", reason_code="FRAUD_SUSPECTED", note="", by=staff, as_staff=True
                )
                # Still under the wallet's lock: no movement of it can take an id until this commits.
                last = Transaction.objects.filter(sender_wallet=alice.wallet, kind="TRANSFER").order_by("-id").first()
                boundary["id"] = last.pk if last else 0
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=transfers + 1) as pool:
        freezing = pool.submit(freeze)
        results = list(pool.map(transfer, range(transfers)))
        freezing.result()

    rows = {row.idempotency_key: row for row in Transaction.objects.filter(kind="TRANSFER")}
    assert len(rows) == transfers
    for result in results:
        row = rows[result["transaction"]["idempotencyKey"]]
        if row.pk <= boundary["id"]:
            assert row.status == "SUCCESS" and result["errors"] == []
        else:  # its id was taken under the lock after the freeze committed
            assert row.status == "FAILED" and row.failure_code == "WALLET_FROZEN"
            assert result["errors"][0]["code"] == "WALLET_FROZEN"
    succeeded = sum(row.status == "SUCCESS" for row in rows.values())
    print(f"{succeeded} transfers locked the wallet before the freeze, {transfers - succeeded} after")
    assert Wallet.objects.get(user=alice).balance == Decimal("1000.00") - succeeded
    assert Wallet.objects.get(user=bob).balance == Decimal(succeeded)
    assert audit_ledger().problems == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_transfers_over_http_fill_a_monthly_limit_exactly(as_alice, alice, bob, fund, make_user):
    fund(alice, "200.00")
    wallet_set_limit_overrides(wallet=alice.wallet, monthly=Decimal("50.00"), by=make_user("staffer"))
    requests = [{"receiverUsername": "bob", "amount": "10.00", "idempotencyKey": f"m{i}"} for i in range(12)]
    barrier = threading.Barrier(len(requests))

    def send(variables):
        barrier.wait()
        return as_alice.execute(doc.TRANSFER, {"input": variables})["transfer"]

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        results = list(pool.map(send, requests))

    outcomes = Counter(result["errors"][0]["code"] if result["errors"] else "SUCCESS" for result in results)
    assert outcomes == {"SUCCESS": 5, "MONTHLY_LIMIT_EXCEEDED": 7}
    assert Wallet.objects.get(user=alice).balance == Decimal("150.00")
    assert as_alice.execute(CONTROLS)["wallet"]["limits"]["monthly"]["remaining"] == "0.00"
    assert audit_ledger().problems == []


QUOTES = """
query($amount: Decimal!) {
  transfer: quoteTransfer(amount: $amount, receiverUsername: "bob") { amount fee total currency }
  mobile: quoteTransfer(amount: $amount, mobileNumber: "+14155550123") { fee }
  withdrawal: quoteWithdrawal(amount: $amount) { amount fee total }
  topUp: quoteAddMoney(amount: $amount) { amount fee total }
}"""


def test_quotes_give_the_fee_the_engine_then_charges(as_alice, alice, bob, fund):
    fund(alice, "100.00")
    FeeRule.objects.create(kind="TRANSFER", percent=Decimal("2.5"), fixed=Decimal("0.30"))
    FeeRule.objects.create(kind="ADD_MONEY", percent=Decimal("1"))

    quotes = as_alice.execute(QUOTES, {"amount": "20.00"})

    assert quotes["transfer"] == {"amount": "20.00", "fee": "0.80", "total": "20.80", "currency": "USD"}
    assert quotes["mobile"] == {"fee": "0.00"}  # no rule for PAY_BY_MOBILE
    assert quotes["withdrawal"] == {"amount": "20.00", "fee": "0.00", "total": "20.00"}
    assert quotes["topUp"] == {"amount": "20.00", "fee": "0.20", "total": "19.80"}
    sent = as_alice.execute(
        TRANSFER_WITH_FEE, {"input": {"receiverUsername": "bob", "amount": "20.00", "idempotencyKey": "t"}}
    )["transfer"]
    assert sent["errors"] == []
    assert sent["transaction"]["fee"] == "0.80" and sent["wallet"]["balance"] == "79.20"
    assert Wallet.objects.get(user=bob).balance == Decimal("20.00")


def test_a_transaction_without_a_fee_shows_zero(as_alice, alice, fund):
    fund(alice, "5.00")

    sent = as_alice.execute(
        TRANSFER_WITH_FEE, {"input": {"receiverUsername": "alice", "amount": "1.00", "idempotencyKey": "self"}}
    )["transfer"]

    assert sent["transaction"]["fee"] == "0.00" and sent["errors"][0]["code"] == "SELF_TRANSFER"


def test_a_bad_quote_amount_is_refused_with_its_code(as_alice, alice):
    answer = as_alice.request(QUOTES, {"amount": "-1.00"})

    assert answer.data is None
    assert set(answer.error_codes) == {"BAD_USER_INPUT"}
