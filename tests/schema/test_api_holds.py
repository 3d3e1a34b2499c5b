"""Holds over real HTTP: create, capture part, void, and the refusals."""

import pytest

from tests.schema import documents as doc

pytestmark = pytest.mark.django_db(transaction=True)


def create(client, amount="30.00", key="h", **receiver):
    variables = {
        "amount": amount,
        "idempotencyKey": key,
        "expiresInSeconds": 600,
        **(receiver or {"receiverUsername": "bob"}),
    }
    return client.execute(doc.CREATE_HOLD, {"input": variables})["createHold"]


def test_a_hold_is_created_captured_in_part_and_cannot_resolve_twice(as_alice, alice, bob, fund):
    fund(alice, "100.00")

    created = create(as_alice)
    hold = created["transaction"]
    captured = as_alice.execute(
        doc.CAPTURE_HOLD, {"input": {"holdId": hold["id"], "amount": "10.00", "idempotencyKey": "c"}}
    )["captureHold"]
    voided = as_alice.execute(doc.VOID_HOLD, {"input": {"holdId": hold["id"], "idempotencyKey": "v"}})["voidHold"]
    state = as_alice.execute("query($id: ID!) { transaction(id: $id) { holdState } }", {"id": hold["id"]})

    assert created["errors"] == [] and (hold["kind"], hold["status"], hold["holdState"]) == (
        "HOLD",
        "PENDING",
        "ACTIVE",
    )
    assert hold["expiresAt"] is not None and hold["receiver"] == {"username": "bob"}
    assert {(e["pending"], e["direction"]) for e in hold["entries"]} == {(True, "DEBIT")}
    assert created["wallet"] == {"balance": "100.00", "availableBalance": "70.00"}
    assert captured["errors"] == [] and captured["transaction"]["kind"] == "HOLD_CAPTURE"
    assert captured["wallet"] == {"balance": "90.00", "availableBalance": "90.00"}
    assert [e["code"] for e in voided["errors"]] == ["HOLD_ALREADY_RESOLVED"]
    assert state == {"transaction": {"holdState": "CAPTURED"}}


def test_void_by_mobile_number_hold_and_refusals(as_alice, alice, bob, fund, api, token_for, make_user):
    fund(alice, "50.00")
    hold = create(as_alice, "20.00", mobileNumber="+14155550123")["transaction"]

    # Neither its payer nor its receiver: it does not exist for them.
    by_stranger = api.as_user(token_for(make_user("carol"))).execute(
        doc.VOID_HOLD, {"input": {"holdId": hold["id"], "idempotencyKey": "v"}}
    )["voidHold"]
    too_much = as_alice.execute(
        doc.CAPTURE_HOLD, {"input": {"holdId": hold["id"], "amount": "20.01", "idempotencyKey": "c"}}
    )["captureHold"]
    voided = as_alice.execute(doc.VOID_HOLD, {"input": {"holdId": hold["id"], "idempotencyKey": "v"}})["voidHold"]
    broke = create(as_alice, "50.01", key="h2")
    neither = as_alice.execute(
        doc.CREATE_HOLD, {"input": {"amount": "1", "idempotencyKey": "h3", "expiresInSeconds": 60}}
    )["createHold"]

    assert [e["code"] for e in by_stranger["errors"]] == ["HOLD_NOT_FOUND"]
    assert [(e["code"], e["field"]) for e in too_much["errors"]] == [("CAPTURE_EXCEEDS_HOLD", "amount")]
    assert voided["errors"] == [] and voided["wallet"]["availableBalance"] == "50.00"
    assert [e["code"] for e in broke["errors"]] == ["INSUFFICIENT_FUNDS"] and broke["transaction"]["status"] == "FAILED"
    assert [e["code"] for e in neither["errors"]] == ["INVALID_INPUT"]


def test_the_receiver_captures_a_hold_placed_for_it_as_a_merchant_captures_an_authorisation(
    as_alice, alice, bob, fund, api, token_for
):
    fund(alice, "100.00")
    hold = create(as_alice, "40.00")["transaction"]
    as_bob = api.as_user(token_for(bob))

    # bob sees the hold placed for him, and captures part of it when he ships.
    seen = as_bob.execute("query($id: ID!) { transaction(id: $id) { holdState amount } }", {"id": hold["id"]})
    captured = as_bob.execute(
        doc.CAPTURE_HOLD, {"input": {"holdId": hold["id"], "amount": "25.00", "idempotencyKey": "ship-1"}}
    )["captureHold"]
    again = as_bob.execute(
        doc.CAPTURE_HOLD, {"input": {"holdId": hold["id"], "amount": "25.00", "idempotencyKey": "ship-1"}}
    )["captureHold"]
    payer_void = as_alice.execute(doc.VOID_HOLD, {"input": {"holdId": hold["id"], "idempotencyKey": "v"}})["voidHold"]

    assert seen == {"transaction": {"holdState": "ACTIVE", "amount": "40.00"}}
    assert captured["errors"] == [] and captured["transaction"]["kind"] == "HOLD_CAPTURE"
    assert captured["wallet"]["balance"] == "25.00"  # the capturer's own wallet: bob's
    assert again["replayed"] is True  # bob's key, bob's replay
    assert [e["code"] for e in payer_void["errors"]] == ["HOLD_ALREADY_RESOLVED"]  # resolved once, whoever did
    alice_now = as_alice.execute("{ wallet { balance availableBalance } }")["wallet"]
    assert alice_now == {"balance": "75.00", "availableBalance": "75.00"}


def test_the_receiver_may_void_a_hold_placed_for_it(as_alice, alice, bob, fund, api, token_for):
    fund(alice, "100.00")
    hold = create(as_alice, "40.00")["transaction"]

    voided = api.as_user(token_for(bob)).execute(
        doc.VOID_HOLD, {"input": {"holdId": hold["id"], "idempotencyKey": "cancel"}}
    )["voidHold"]

    assert voided["errors"] == [] and voided["transaction"]["kind"] == "HOLD_RELEASE"
    assert as_alice.execute("{ wallet { balance availableBalance } }")["wallet"] == {
        "balance": "100.00",
        "availableBalance": "100.00",
    }
