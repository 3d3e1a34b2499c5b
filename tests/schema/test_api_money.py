"""Money mutations over real HTTP: outcomes, every refusal code, idempotency, bad amounts."""

from decimal import Decimal

import pytest

from tests.schema import documents as doc
from wallet.models import LedgerEntry, OutboxEvent, Transaction, Wallet

pytestmark = pytest.mark.django_db(transaction=True)


def ledger_size() -> tuple[int, int, int]:
    return Transaction.objects.count(), LedgerEntry.objects.count(), OutboxEvent.objects.count()


def test_add_money_returns_the_transaction_and_the_new_balance(as_alice):
    result = as_alice.execute(doc.ADD_MONEY, {"input": {"amount": "150.75", "idempotencyKey": "top-1"}})["addMoney"]

    assert result["errors"] == [] and result["replayed"] is False
    assert result["wallet"]["balance"] == "150.75"
    txn = result["transaction"]
    assert (txn["kind"], txn["status"], txn["amount"], txn["currency"]) == ("ADD_MONEY", "SUCCESS", "150.75", "USD")
    assert txn["sender"] is None and txn["receiver"] == {"username": "alice"}
    assert txn["idempotencyKey"] == "top-1"
    assert [(e["direction"], e["amount"], e["balanceAfter"]) for e in txn["entries"]] == [
        ("CREDIT", "150.75", "150.75")
    ]


def test_transfer_moves_money_and_both_sides_see_it(as_alice, api, bob, fund, alice, token_for):
    fund(alice, "100.00")

    result = as_alice.execute(
        doc.TRANSFER, {"input": {"receiverUsername": "bob", "amount": "40", "idempotencyKey": "t1", "note": "rent"}}
    )["transfer"]

    assert result["errors"] == []
    assert result["wallet"] == {"id": result["wallet"]["id"], "balance": "60.00", "transferredToday": "40.00"}
    txn = result["transaction"]
    assert (txn["sender"], txn["receiver"], txn["note"]) == ({"username": "alice"}, {"username": "bob"}, "rent")
    assert [(e["direction"], e["amount"], e["balanceAfter"]) for e in txn["entries"]] == [("DEBIT", "40.00", "60.00")]

    as_bob = api.as_user(token_for(bob))
    seen_by_bob = as_bob.execute(doc.TRANSACTION, {"id": txn["id"]})["transaction"]
    assert seen_by_bob["idempotencyKey"] is None  # only the initiator sees the key
    assert [(e["direction"], e["balanceAfter"]) for e in seen_by_bob["entries"]] == [("CREDIT", "40.00")]
    assert as_bob.execute(doc.WALLET)["wallet"]["balance"] == "40.00"


def test_pay_by_mobile_reaches_the_registered_number(as_alice, bob, fund, alice):
    fund(alice, "10.00")

    result = as_alice.execute(
        doc.PAY_BY_MOBILE, {"input": {"mobileNumber": "(415) 555-0123", "amount": "2.50", "idempotencyKey": "m1"}}
    )["payByMobile"]

    assert result["errors"] == []
    assert result["transaction"]["kind"] == "PAY_BY_MOBILE"
    assert result["transaction"]["receiver"] == {"username": "bob"}
    assert Wallet.objects.get(user=bob).balance == Decimal("2.50")


def test_withdraw_takes_money_out(as_alice, fund, alice):
    fund(alice, "10.00")

    result = as_alice.execute(doc.WITHDRAW, {"input": {"amount": "7", "idempotencyKey": "w1"}})["withdraw"]

    assert result["errors"] == [] and result["wallet"]["balance"] == "3.00"
    assert result["transaction"]["receiver"] is None  # the payouts account is a system account


@pytest.mark.parametrize(
    ("document", "field", "variables", "code", "error_field"),
    [
        (doc.TRANSFER, "transfer", {"receiverUsername": "bob", "amount": "1000"}, "INSUFFICIENT_FUNDS", "amount"),
        (doc.WITHDRAW, "withdraw", {"amount": "1000"}, "INSUFFICIENT_FUNDS", "amount"),
        (
            doc.TRANSFER,
            "transfer",
            {"receiverUsername": "nobody", "amount": "1"},
            "RECEIVER_NOT_FOUND",
            "receiverUsername",
        ),
        (
            doc.PAY_BY_MOBILE,
            "payByMobile",
            {"mobileNumber": "+14155550199", "amount": "1"},
            "RECEIVER_NOT_FOUND",
            "mobileNumber",
        ),
        (doc.TRANSFER, "transfer", {"receiverUsername": "alice", "amount": "1"}, "SELF_TRANSFER", "receiverUsername"),
        (
            doc.PAY_BY_MOBILE,
            "payByMobile",
            {"mobileNumber": "+14155550100", "amount": "1"},
            "SELF_TRANSFER",
            "mobileNumber",
        ),
        (doc.TRANSFER, "transfer", {"receiverUsername": "bob", "amount": "60"}, "DAILY_LIMIT_EXCEEDED", "amount"),
    ],
)
def test_business_refusals_are_recorded_as_failed_transactions_and_replay_identically(
    as_alice, alice, bob, fund, document, field, variables, code, error_field
):
    fund(alice, "100.00")
    Wallet.objects.filter(user=alice).update(daily_transfer_limit=Decimal("50.00"))
    request = {"input": {**variables, "idempotencyKey": "attempt-1"}}

    first = as_alice.execute(document, request)[field]
    replay = as_alice.execute(document, request)[field]

    assert [(e["code"], e["field"]) for e in first["errors"]] == [(code, error_field)]
    assert first["transaction"]["status"] == "FAILED" and first["transaction"]["failureCode"] == code
    assert first["transaction"]["entries"] == []
    assert first["wallet"]["balance"] == "100.00" and first["replayed"] is False
    assert replay["replayed"] is True
    assert replay["transaction"]["id"] == first["transaction"]["id"]
    assert replay["errors"] == first["errors"]
    assert Wallet.objects.get(user=bob).balance == Decimal("0.00")


def test_a_receiver_wallet_in_another_currency_is_currency_mismatch(as_alice, alice, bob, fund):
    fund(alice, "10.00")
    Wallet.objects.filter(user=bob).update(currency="EUR")

    result = as_alice.execute(
        doc.TRANSFER, {"input": {"receiverUsername": "bob", "amount": "1", "idempotencyKey": "fx"}}
    )["transfer"]

    assert [(e["code"], e["field"]) for e in result["errors"]] == [("CURRENCY_MISMATCH", "receiverUsername")]
    assert result["transaction"]["status"] == "FAILED" and result["wallet"]["balance"] == "10.00"


def test_a_replay_moves_nothing_and_returns_the_same_transaction(as_alice, alice, bob, fund):
    fund(alice, "100.00")
    request = {"input": {"receiverUsername": "bob", "amount": "10", "idempotencyKey": "pay-rent"}}

    first = as_alice.execute(doc.TRANSFER, request)["transfer"]
    size = ledger_size()
    second = as_alice.execute(doc.TRANSFER, request)["transfer"]

    assert second["replayed"] is True and second["errors"] == []
    assert second["transaction"]["id"] == first["transaction"]["id"]
    assert second["wallet"]["balance"] == "90.00"
    assert ledger_size() == size


def test_the_same_key_with_other_parameters_is_refused(as_alice, alice, bob, fund):
    fund(alice, "100.00")
    as_alice.execute(doc.TRANSFER, {"input": {"receiverUsername": "bob", "amount": "10", "idempotencyKey": "k"}})
    size = ledger_size()

    result = as_alice.execute(
        doc.TRANSFER, {"input": {"receiverUsername": "bob", "amount": "11", "idempotencyKey": "k"}}
    )["transfer"]

    assert result["transaction"] is None and result["replayed"] is False
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")]
    assert result["wallet"]["balance"] == "90.00"
    assert ledger_size() == size


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_bad_idempotency_keys_are_invalid_input(as_alice, key):
    result = as_alice.execute(doc.ADD_MONEY, {"input": {"amount": "1", "idempotencyKey": key}})["addMoney"]

    assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID_INPUT", "idempotencyKey")]
    assert ledger_size() == (0, 0, 0)


def test_an_invalid_mobile_number_is_refused_without_a_record(as_alice, alice, fund):
    fund(alice, "10")
    size = ledger_size()

    result = as_alice.execute(
        doc.PAY_BY_MOBILE, {"input": {"mobileNumber": "12", "amount": "1", "idempotencyKey": "m"}}
    )["payByMobile"]

    assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID_MOBILE_NUMBER", "mobileNumber")]
    assert ledger_size() == size


# Well-formed amounts that break a rule: INVALID_AMOUNT in the payload.
RULE_BREAKING_AMOUNTS = ["0", "-5", "-0", "0.001", "1000000.01", "0.00", "9" * 30 + ".99", "0." + "0" * 29 + "1"]
# Not plain decimal strings: a GraphQL validation error, before any resolver runs.
MALFORMED_AMOUNTS = [
    "NaN",
    "Infinity",
    "-Infinity",
    "sNaN",
    "1e3",
    "1E+2",
    "1,000",
    "1_000",
    "",
    " 10 ",
    "+5",
    "１０",
    "10\u200b",
    "10\x00",
    "0x10",
    ".5",
    "5.",
    12.5,
    12,
    None,
    True,
    ["1"],
    {"v": "1"},
]
MONEY_MUTATIONS = [
    (doc.ADD_MONEY, "addMoney", {}),
    (doc.WITHDRAW, "withdraw", {}),
    (doc.TRANSFER, "transfer", {"receiverUsername": "bob"}),
    (doc.PAY_BY_MOBILE, "payByMobile", {"mobileNumber": "+14155550123"}),
]


@pytest.mark.parametrize("amount", RULE_BREAKING_AMOUNTS)
def test_rule_breaking_amounts_are_invalid_amount_and_change_nothing(as_alice, alice, bob, fund, amount):
    fund(alice, "100.00")
    size = ledger_size()

    for document, field, extra in MONEY_MUTATIONS:
        result = as_alice.execute(document, {"input": {**extra, "amount": amount, "idempotencyKey": f"k-{field}"}})[
            field
        ]
        assert [(e["code"], e["field"]) for e in result["errors"]] == [("INVALID_AMOUNT", "amount")], field
        assert result["transaction"] is None and result["wallet"]["balance"] == "100.00"

    assert ledger_size() == size


@pytest.mark.parametrize("amount", MALFORMED_AMOUNTS, ids=repr)
def test_malformed_amounts_are_graphql_validation_errors_and_change_nothing(as_alice, alice, bob, fund, amount):
    fund(alice, "100.00")
    size = ledger_size()

    for document, field, extra in MONEY_MUTATIONS:
        response = as_alice.request(document, {"input": {**extra, "amount": amount, "idempotencyKey": "k"}})
        assert response.data is None, field
        assert len(response.errors) == 1 and "amount" in response.errors[0]["message"], response.errors

    assert ledger_size() == size
    assert Wallet.objects.get(user=alice).balance == Decimal("100.00")


def test_a_float_literal_in_the_document_is_refused(as_alice):
    response = as_alice.request('mutation { addMoney(input: {amount: 10.5, idempotencyKey: "k"}) { replayed } }')

    assert response.data is None and response.errors
    assert ledger_size() == (0, 0, 0)


def test_the_receiver_reverses_part_of_a_transfer(api, as_alice, alice, bob, fund, token_for):
    fund(alice, "50.00")
    paid = as_alice.execute(doc.TRANSFER, {"input": {"receiverUsername": "bob", "amount": "20", "idempotencyKey": "p"}})
    transfer_id = paid["transfer"]["transaction"]["id"]
    as_bob = api.as_user(token_for(bob))

    result = as_bob.execute(
        doc.REVERSE_TRANSACTION, {"input": {"transactionId": transfer_id, "amount": "7.50", "idempotencyKey": "r"}}
    )["reverseTransaction"]
    too_much = as_bob.execute(
        doc.REVERSE_TRANSACTION, {"input": {"transactionId": transfer_id, "amount": "12.51", "idempotencyKey": "r2"}}
    )["reverseTransaction"]
    by_sender = as_alice.execute(
        doc.REVERSE_TRANSACTION, {"input": {"transactionId": transfer_id, "idempotencyKey": "r3"}}
    )["reverseTransaction"]
    unknown = as_bob.execute(doc.REVERSE_TRANSACTION, {"input": {"transactionId": "nonsense", "idempotencyKey": "r4"}})[
        "reverseTransaction"
    ]

    assert result["errors"] == [] and result["transaction"]["kind"] == "REVERSAL"
    assert result["transaction"]["receiver"] == {"username": "alice"}
    assert result["wallet"]["balance"] == "12.50"
    assert [(e["code"], e["field"]) for e in too_much["errors"]] == [("REVERSAL_EXCEEDS_ORIGINAL", "amount")]
    assert [e["code"] for e in by_sender["errors"]] == ["NOT_REVERSIBLE"]
    assert [(e["code"], e["field"]) for e in unknown["errors"]] == [("TRANSACTION_NOT_FOUND", "transactionId")]
    seen_by_alice = as_alice.execute(
        "query($id: ID!) { transaction(id: $id) { kind amount original { id amount } } }",
        {"id": result["transaction"]["id"]},
    )["transaction"]
    assert seen_by_alice == {"kind": "REVERSAL", "amount": "7.50", "original": {"id": transfer_id, "amount": "20.00"}}
    assert Wallet.objects.get(user=alice).balance == Decimal("37.50")


def test_a_transfer_batch_over_the_api(as_alice, alice, bob, fund, make_user):
    make_user("carol")
    fund(alice, "30.00")
    batch = [{"receiverUsername": "bob", "amount": "10"}, {"receiverUsername": "carol", "amount": "25"}]

    atomic = as_alice.execute(doc.TRANSFER_BATCH, {"input": {"transfers": batch, "idempotencyKey": "b1"}})[
        "transferBatch"
    ]
    each = as_alice.execute(
        doc.TRANSFER_BATCH, {"input": {"transfers": batch, "atomic": False, "idempotencyKey": "b2"}}
    )["transferBatch"]
    invalid = as_alice.execute(
        doc.TRANSFER_BATCH,
        {"input": {"transfers": [{"receiverUsername": "bob", "amount": "0"}], "idempotencyKey": "b3"}},
    )["transferBatch"]

    assert [t["failureCode"] for t in atomic["transactions"]] == ["LINKED_TRANSFER_FAILED", "INSUFFICIENT_FUNDS"]
    assert [(e["code"], e["field"]) for e in atomic["errors"]] == [
        ("LINKED_TRANSFER_FAILED", "transfers.0"),
        ("INSUFFICIENT_FUNDS", "transfers.1.amount"),
    ]
    assert atomic["wallet"]["balance"] == "30.00"
    assert [t["status"] for t in each["transactions"]] == ["SUCCESS", "FAILED"]
    assert each["wallet"]["balance"] == "20.00"
    assert invalid["transactions"] == [] and [(e["code"], e["field"]) for e in invalid["errors"]] == [
        ("INVALID_AMOUNT", "transfers.0.amount")
    ]
