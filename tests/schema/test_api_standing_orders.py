"""Standing orders over HTTP: scheduling (idempotent, validated, nothing created on bad input), listing with the
occurrences the scheduler ran, pause/resume/cancel by the owner only, and API key scopes. The scheduler's pass runs
in the test with the times the test picks (wallet/services/standing_orders.py)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.schema.test_api_keys import KeyClient, make_key
from wallet.models import StandingOrder
from wallet.services import standing_orders as orders_service
from wallet.services.standing_orders import standing_orders_run_due

pytestmark = pytest.mark.django_db(transaction=True)

ORDER_FIELDS = """
id receiver receiverMobileNumber amount currency note repeat dayOfMonth firstRunAt endsAt maxOccurrences status
nextRunAt createdAt
"""
SCHEDULE = f"""
mutation($input: ScheduleTransferInput!) {{ scheduleTransfer(input: $input) {{
  standingOrder {{ {ORDER_FIELDS} }} replayed errors {{ code field message }} }} }}
"""
PAUSE = """
mutation($id: ID!, $key: String!) { pauseStandingOrder(input: {id: $id, idempotencyKey: $key}) {
  standingOrder { id status nextRunAt } errors { code field } } }
"""
RESUME = PAUSE.replace("pauseStandingOrder", "resumeStandingOrder")
CANCEL = PAUSE.replace("pauseStandingOrder", "cancelStandingOrder")
LIST = """
query($status: StandingOrderStatus, $first: Int, $after: String) {
  standingOrders(status: $status, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id receiver amount status nextRunAt
      occurrences { totalCount edges { node { number dueAt ranAt status failureCode
        transaction { id kind status amount receiver { username } } } } } } } } }
"""
NODE = "query($id: ID!) { node(id: $id) { ... on StandingOrder { id status receiver } } }"


def iso(moment: datetime) -> str:
    return moment.isoformat()


def soon(**delta) -> datetime:
    return (timezone.now() + timedelta(**(delta or {"hours": 1}))).replace(microsecond=0)


def schedule_input(**overrides) -> dict:
    values = {
        "receiverUsername": "bob",
        "amount": "10.00",
        "note": "rent",
        "firstRunAt": iso(soon()),
        "repeat": "DAILY",
        "idempotencyKey": "so-1",
    }
    values.update(overrides)
    return {key: value for key, value in values.items() if value is not None}


def schedule(client, **overrides) -> dict:
    payload = client.execute(SCHEDULE, {"input": schedule_input(**overrides)})["scheduleTransfer"]
    assert payload["errors"] == [], payload
    return payload


def listed(client, **variables) -> dict:
    return client.execute(LIST, variables)["standingOrders"]


def test_scheduling_returns_the_order_and_the_same_key_replays_it(as_alice, alice, bob):
    first_run = soon(hours=2)
    payload = schedule(as_alice, firstRunAt=iso(first_run), maxOccurrences=12)
    order = payload["standingOrder"]

    assert payload["replayed"] is False
    assert {key: order[key] for key in ("receiver", "receiverMobileNumber", "amount", "currency", "note")} == {
        "receiver": "bob",
        "receiverMobileNumber": None,
        "amount": "10.00",
        "currency": "USD",
        "note": "rent",
    }
    assert (order["repeat"], order["dayOfMonth"], order["maxOccurrences"], order["endsAt"]) == ("DAILY", None, 12, None)
    assert order["status"] == "ACTIVE"
    assert datetime.fromisoformat(order["firstRunAt"]) == datetime.fromisoformat(order["nextRunAt"]) == first_run

    again = schedule(as_alice, firstRunAt=iso(first_run), maxOccurrences=12)
    assert again["replayed"] is True and again["standingOrder"]["id"] == order["id"]
    other = as_alice.execute(SCHEDULE, {"input": schedule_input(firstRunAt=iso(first_run), amount="11.00")})
    assert [(e["code"], e["field"]) for e in other["scheduleTransfer"]["errors"]] == [
        ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    ]
    assert StandingOrder.objects.count() == 1
    assert as_alice.execute(NODE, {"id": order["id"]})["node"] == {
        "id": order["id"],
        "status": "ACTIVE",
        "receiver": "bob",
    }


def test_a_monthly_order_defaults_its_day_to_the_first_runs_and_a_mobile_number_names_the_receiver(as_alice, bob):
    first_run = datetime(2031, 1, 31, 9, tzinfo=UTC)
    order = schedule(
        as_alice, mobileNumber="+1 415 555 0123", receiverUsername=None, firstRunAt=iso(first_run), repeat="MONTHLY"
    )["standingOrder"]
    assert (order["receiver"], order["receiverMobileNumber"], order["dayOfMonth"]) == ("bob", "+14155550123", 31)


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"firstRunAt": "PAST"}, "INVALID_INPUT", "firstRunAt"),
        ({"endsAt": "BEFORE"}, "INVALID_INPUT", "endsAt"),
        ({"maxOccurrences": 0}, "INVALID_INPUT", "maxOccurrences"),
        ({"dayOfMonth": 5}, "INVALID_INPUT", "dayOfMonth"),
        ({"repeat": "MONTHLY", "dayOfMonth": 32}, "INVALID_INPUT", "dayOfMonth"),
        ({"repeat": "MONTHLY", "dayOfMonth": 0}, "INVALID_INPUT", "dayOfMonth"),
        ({"amount": "0"}, "INVALID_AMOUNT", "amount"),
        ({"amount": "1.001"}, "INVALID_AMOUNT", "amount"),
        ({"amount": "-5.00"}, "INVALID_AMOUNT", "amount"),
        ({"mobileNumber": "+14155550123"}, "INVALID_INPUT", None),
        ({"receiverUsername": None}, "INVALID_INPUT", None),
        ({"receiverUsername": "nobody"}, "RECEIVER_NOT_FOUND", "receiverUsername"),
        ({"receiverUsername": None, "mobileNumber": "+14155550199"}, "RECEIVER_NOT_FOUND", "mobileNumber"),
        ({"receiverUsername": None, "mobileNumber": "12"}, "INVALID_MOBILE_NUMBER", "mobileNumber"),
        ({"receiverUsername": "Alice"}, "SELF_TRANSFER", "receiverUsername"),
        ({"idempotencyKey": "~standing-order:1:1"}, "INVALID_INPUT", "idempotencyKey"),
        ({"idempotencyKey": ""}, "INVALID_INPUT", "idempotencyKey"),
        ({"note": "x" * 256}, "INVALID_INPUT", "note"),
    ],
)
def test_bad_input_is_refused_with_a_code_and_creates_nothing(as_alice, alice, bob, overrides, code, field):
    if overrides.get("firstRunAt") == "PAST":
        overrides["firstRunAt"] = iso(timezone.now() - timedelta(hours=1))
    if overrides.get("endsAt") == "BEFORE":
        first_run = soon()
        overrides.update(firstRunAt=iso(first_run), endsAt=iso(first_run))
    payload = as_alice.execute(SCHEDULE, {"input": schedule_input(**overrides)})["scheduleTransfer"]

    assert payload["standingOrder"] is None
    assert [(error["code"], error["field"]) for error in payload["errors"]] == [(code, field)]
    assert StandingOrder.objects.count() == 0


def test_a_first_run_a_moment_ago_is_accepted_and_runs_at_the_next_pass(as_alice, alice, bob, fund):
    fund(alice, "20.00")
    schedule(as_alice, firstRunAt=iso(timezone.now() - timedelta(minutes=1)), repeat="NONE")
    assert standing_orders_run_due(now=timezone.now()).succeeded == 1
    order = listed(as_alice)["edges"][0]["node"]
    assert order["status"] == "COMPLETED" and order["nextRunAt"] is None
    assert order["occurrences"]["edges"][0]["node"]["status"] == "SUCCESS"


def test_the_occurrences_show_what_each_run_did(as_alice, alice, bob, fund):
    fund(alice, "15.00")
    first_run = soon()
    schedule(as_alice, firstRunAt=iso(first_run))

    standing_orders_run_due(now=first_run)  # paid
    standing_orders_run_due(now=first_run + timedelta(days=1))  # 5.00 left: refused
    fund(alice, "10.00")
    standing_orders_run_due(now=first_run + timedelta(days=2))  # paid

    order = listed(as_alice)["edges"][0]["node"]
    runs = [edge["node"] for edge in order["occurrences"]["edges"]]
    assert order["occurrences"]["totalCount"] == 3
    assert [(run["number"], run["status"], run["failureCode"]) for run in runs] == [
        (3, "SUCCESS", None),
        (2, "FAILED", "INSUFFICIENT_FUNDS"),
        (1, "SUCCESS", None),
    ]
    assert [datetime.fromisoformat(run["dueAt"]) for run in runs] == [
        first_run + timedelta(days=2),
        first_run + timedelta(days=1),
        first_run,
    ]
    assert runs[0]["transaction"]["kind"] == "TRANSFER" and runs[0]["transaction"]["receiver"] == {"username": "bob"}
    assert runs[1]["transaction"]["status"] == "FAILED"
    assert datetime.fromisoformat(order["nextRunAt"]) == first_run + timedelta(days=3)
    wallet = as_alice.execute("{ wallet { balance } }")["wallet"]
    assert wallet["balance"] == "5.00"


def test_pause_resume_and_cancel_by_the_owner(as_alice, alice, bob, fund, api, token_for):
    fund(alice, "100.00")
    first_run = soon()
    order_id = schedule(as_alice, firstRunAt=iso(first_run))["standingOrder"]["id"]

    paused = as_alice.execute(PAUSE, {"id": order_id, "key": "p1"})["pauseStandingOrder"]
    assert paused["errors"] == [] and paused["standingOrder"]["status"] == "PAUSED"
    # A paused order keeps its next occurrence, to be skipped or not on resume.
    assert datetime.fromisoformat(paused["standingOrder"]["nextRunAt"]) == first_run
    assert standing_orders_run_due(now=first_run + timedelta(days=3)).succeeded == 0

    resumed = as_alice.execute(RESUME, {"id": order_id, "key": "r1"})["resumeStandingOrder"]
    assert resumed["errors"] == [] and resumed["standingOrder"]["status"] == "ACTIVE"
    # Resumed before the first run was due: nothing was skipped.
    assert datetime.fromisoformat(resumed["standingOrder"]["nextRunAt"]) == first_run

    as_bob = api.as_user(token_for(bob))
    for document, name in (
        (PAUSE, "pauseStandingOrder"),
        (RESUME, "resumeStandingOrder"),
        (CANCEL, "cancelStandingOrder"),
    ):
        refused = as_bob.execute(document, {"id": order_id, "key": "b"})[name]
        assert refused == {"standingOrder": None, "errors": [{"code": "STANDING_ORDER_NOT_FOUND", "field": "id"}]}
    assert as_bob.execute(NODE, {"id": order_id})["node"] is None
    assert listed(as_bob)["totalCount"] == 0

    cancelled = as_alice.execute(CANCEL, {"id": order_id, "key": "c1"})["cancelStandingOrder"]
    assert cancelled["standingOrder"] == {"id": order_id, "status": "CANCELLED", "nextRunAt": None}
    again = as_alice.execute(RESUME, {"id": order_id, "key": "r2"})["resumeStandingOrder"]
    assert [error["code"] for error in again["errors"]] == ["INVALID_INPUT"]
    assert standing_orders_run_due(now=first_run + timedelta(days=5)).succeeded == 0
    for bad_id in ("nonsense", "VHJhbnNhY3Rpb246MQ=="):  # garbage, and a Transaction's global ID
        refused = as_alice.execute(PAUSE, {"id": bad_id, "key": "x"})["pauseStandingOrder"]
        assert refused["errors"][0]["code"] == "STANDING_ORDER_NOT_FOUND"


def test_the_list_filters_by_status_and_pages_newest_first(as_alice, alice, bob):
    ids = [schedule(as_alice, idempotencyKey=f"so-{i}")["standingOrder"]["id"] for i in range(3)]
    as_alice.execute(CANCEL, {"id": ids[0], "key": "c"})

    first_page = listed(as_alice, first=2)
    assert [edge["node"]["id"] for edge in first_page["edges"]] == [ids[2], ids[1]]
    assert first_page["totalCount"] == 3 and first_page["pageInfo"]["hasNextPage"] is True
    second_page = listed(as_alice, first=2, after=first_page["pageInfo"]["endCursor"])
    assert [edge["node"]["id"] for edge in second_page["edges"]] == [ids[0]]
    assert [edge["node"]["id"] for edge in listed(as_alice, status="CANCELLED")["edges"]] == [ids[0]]
    assert listed(as_alice, status="ACTIVE")["totalCount"] == 2


def test_an_owner_has_a_limited_number_of_open_orders(as_alice, alice, bob, monkeypatch):
    monkeypatch.setattr(orders_service, "MAX_OPEN_STANDING_ORDERS", 2)
    ids = [schedule(as_alice, idempotencyKey=f"so-{i}")["standingOrder"]["id"] for i in range(2)]

    refused = as_alice.execute(SCHEDULE, {"input": schedule_input(idempotencyKey="so-3")})["scheduleTransfer"]
    assert [error["code"] for error in refused["errors"]] == ["INVALID_INPUT"]
    as_alice.execute(CANCEL, {"id": ids[0], "key": "c"})
    assert schedule(as_alice, idempotencyKey="so-3")["standingOrder"]["status"] == "ACTIVE"


def test_api_keys_need_move_money_to_change_and_read_to_list(as_alice, alice, bob, live_server):
    url = f"{live_server.url}/graphql/"
    reader = KeyClient(url, make_key(as_alice, "READ")[0])
    mover = KeyClient(url, make_key(as_alice, "MOVE_MONEY")[0])
    variables = {"input": schedule_input()}

    assert reader.codes(SCHEDULE, variables) == ["FORBIDDEN"]
    assert StandingOrder.objects.count() == 0
    created = mover.post(SCHEDULE, variables).json()["data"]["scheduleTransfer"]
    assert created["errors"] == []
    order_id = created["standingOrder"]["id"]
    assert mover.codes(LIST) == ["FORBIDDEN"]
    assert reader.post(LIST).json()["data"]["standingOrders"]["totalCount"] == 1
    for document in (PAUSE, RESUME, CANCEL):
        assert reader.codes(document, {"id": order_id, "key": "k"}) == ["FORBIDDEN"]
    assert mover.post(PAUSE, {"id": order_id, "key": "k"}).json()["data"]["pauseStandingOrder"]["errors"] == []
    assert StandingOrder.objects.get().status == "PAUSED"


def test_anonymous_clients_get_nothing(api):
    assert api.request(LIST).error_codes == ["UNAUTHENTICATED"]
    assert api.request(SCHEDULE, {"input": schedule_input()}).error_codes == ["UNAUTHENTICATED"]
