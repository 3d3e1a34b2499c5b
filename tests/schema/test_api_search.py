"""The history's search filters over HTTP: each alone and combined, for each kind of movement and each viewer; paging
under a filter; the refusals; and that no filter shows a movement outside the viewer's own history."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest

from wallet import services
from wallet.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)

SEARCH = """
query($first: Int, $after: String, $from: DateTime, $to: DateTime, $min: Decimal, $max: Decimal,
      $counterparty: String, $direction: TransactionDirection, $note: String, $kind: TransactionKind,
      $status: TransactionStatus) {
  transactions(first: $first, after: $after, createdFrom: $from, createdTo: $to, minAmount: $min, maxAmount: $max,
               counterparty: $counterparty, direction: $direction, noteContains: $note, kind: $kind,
               status: $status) {
    edges { cursor node { kind status amount note createdAt sender { username } receiver { username } } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}
"""
DAY0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def day(n: int) -> datetime:
    return DAY0 + timedelta(days=n)


def at(n: int):
    """The ledger's clock at day n: the movement written meanwhile is created then."""
    return mock.patch("django.utils.timezone.now", return_value=day(n))


@pytest.fixture
def world(make_user):
    """alice, bob and carol, and every kind of movement between them, one a day. Amounts are unique, so a movement
    is known by its amount. alice's history, newest first: 2.50 7.00 9999.00 5.00 25.00 10.00 100.00."""
    alice = make_user("alice")
    bob = make_user("bob", mobile_number="+14155550123")
    carol = make_user("carol")
    with at(0):
        services.money_add(user=alice, amount=Decimal("100.00"), idempotency_key="top-up")  # alice IN
    with at(1):
        services.money_add(user=bob, amount=Decimal("50.00"), idempotency_key="top-up")
    with at(2):
        services.money_add(user=carol, amount=Decimal("20.00"), idempotency_key="top-up")
    with at(3):
        services.transfer_create(
            sender=alice, receiver_username="bob", amount=Decimal("10.00"), idempotency_key="t3", note="Rent for May"
        )
    with at(4):
        services.transfer_create(
            sender=bob, receiver_username="alice", amount=Decimal("25.00"), idempotency_key="t4", note="Coffee 100%_off"
        )
    with at(5):
        services.withdrawal_create(user=alice, amount=Decimal("5.00"), idempotency_key="w5")
    with at(6):  # refused: in alice's history only
        refused = services.transfer_create(
            sender=alice, receiver_username="bob", amount=Decimal("9999.00"), idempotency_key="t6",
            note="rent, too much",
        )  # fmt: skip
        assert refused.transaction.status == Transaction.Status.FAILED
    with at(7):
        services.hold_create(
            payer=alice, amount=Decimal("7.00"), idempotency_key="h7", expires_in_seconds=3600, receiver_username="bob"
        )
    with at(8):  # not alice's
        services.transfer_create(
            sender=carol, receiver_username="bob", amount=Decimal("3.00"), idempotency_key="t8", note="Rent share"
        )
    with at(9):  # refused: in bob's history only, though alice is its receiver
        services.transfer_create(
            sender=bob, receiver_username="alice", amount=Decimal("5000.00"), idempotency_key="t9", note="big coffee"
        )
    with at(10):
        services.mobile_payment_create(
            sender=alice, mobile_number="+14155550123", amount=Decimal("2.50"), idempotency_key="m10",
            note="coffee beans",
        )  # fmt: skip
    return {"alice": alice, "bob": bob, "carol": carol}


@pytest.fixture
def as_(api, token_for, world):
    return lambda name: api.as_user(token_for(world[name]))


def search(client, **variables) -> list[str]:
    """The amounts of every match, newest first, through all pages."""
    return [node["amount"] for node in nodes(client, **variables)]


def nodes(client, **variables) -> list[dict]:
    found, after = [], None
    while True:
        page = client.execute(SEARCH, {"first": 100, "after": after, **variables})["transactions"]
        found += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def iso(moment: datetime) -> str:
    return moment.isoformat()


def test_each_filter_alone_finds_exactly_the_viewers_matching_movements(as_):
    alice, bob = as_("alice"), as_("bob")

    assert search(alice) == ["2.50", "7.00", "9999.00", "5.00", "25.00", "10.00", "100.00"]
    # Direction, from the viewer's side: the top-up and bob's transfer reached alice; the rest left her wallet,
    # the refused transfer and the hold too.
    assert search(alice, direction="IN") == ["25.00", "100.00"]
    assert search(alice, direction="OUT") == ["2.50", "7.00", "9999.00", "5.00", "10.00"]
    assert search(bob, direction="IN") == ["2.50", "3.00", "7.00", "10.00", "50.00"]
    assert search(bob, direction="OUT") == ["5000.00", "25.00"]
    # The other side, either way, by username in any case; bob's refused transfer to alice is his, not hers.
    assert search(alice, counterparty="bob") == ["2.50", "7.00", "9999.00", "25.00", "10.00"]
    assert search(alice, counterparty="BOB") == ["2.50", "7.00", "9999.00", "25.00", "10.00"]
    assert search(bob, counterparty="alice") == ["2.50", "5000.00", "7.00", "25.00", "10.00"]
    assert search(bob, counterparty="carol") == ["3.00"]
    # Amounts, both ends inclusive.
    assert search(alice, min="5.00", max="25.00") == ["7.00", "5.00", "25.00", "10.00"]
    assert search(alice, min="100") == ["9999.00", "100.00"]
    assert search(alice, max="2.5") == ["2.50"]
    # Times: from inclusive, to exclusive.
    assert search(alice, **{"from": iso(day(4)), "to": iso(day(7))}) == ["9999.00", "5.00", "25.00"]
    assert search(alice, **{"from": iso(day(10))}) == ["2.50"]
    assert search(alice, to=iso(day(0) + timedelta(microseconds=1))) == ["100.00"]
    assert search(alice, **{"from": iso(day(3)), "to": iso(day(3))}) == []
    # Notes, in any case; bob's "big coffee" and carol's "Rent share" are not alice's.
    assert search(alice, note="RENT") == ["9999.00", "10.00"]
    assert search(alice, note="coffee") == ["2.50", "25.00"]
    assert search(bob, note="rent") == ["3.00", "10.00"]


def test_like_wildcards_in_the_note_text_match_only_themselves(as_):
    alice = as_("alice")

    assert search(alice, note="%") == ["25.00"]
    assert search(alice, note="_") == ["25.00"]
    assert search(alice, note="0%_o") == ["25.00"]
    assert search(alice, note="r%y") == []  # "Rent for May" would match r%y as a pattern
    assert search(alice, note="\\") == []


def test_a_time_without_an_offset_is_read_in_the_servers_time_zone(as_, settings):
    assert settings.TIME_ZONE == "UTC"

    assert search(as_("alice"), **{"from": "2026-03-11T09:00:00", "to": "2026-03-11T09:00:01"}) == ["2.50"]


def test_filters_combine_with_each_other_and_with_kind_and_status(as_):
    alice, bob = as_("alice"), as_("bob")

    assert search(alice, direction="OUT", counterparty="bob", note="rent") == ["9999.00", "10.00"]
    assert search(alice, direction="OUT", counterparty="bob", note="rent", to=iso(day(5))) == ["10.00"]
    assert search(alice, counterparty="bob", status="FAILED") == ["9999.00"]
    assert search(alice, direction="OUT", kind="TRANSFER") == ["9999.00", "10.00"]
    assert search(alice, direction="IN", min="50.00") == ["100.00"]
    assert search(bob, direction="IN", counterparty="alice", max="9.99", **{"from": iso(day(5))}) == ["2.50", "7.00"]
    assert search(alice, direction="IN", counterparty="carol") == []


def test_paging_under_a_filter_visits_every_match_once_newest_first(as_):
    alice = as_("alice")
    pages, after = [], None
    while True:
        page = alice.execute(SEARCH, {"first": 2, "after": after, "direction": "OUT"})["transactions"]
        pages.append([edge["node"]["amount"] for edge in page["edges"]])
        assert page["totalCount"] == 5
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert pages == [["2.50", "7.00"], ["9999.00", "5.00"], ["10.00"]]
    times = [node["createdAt"] for node in nodes(alice, direction="OUT")]
    assert times == sorted(times, reverse=True)


def test_an_unknown_or_foreign_counterparty_gives_an_empty_page(as_):
    alice = as_("alice")

    for name in ("nobody-by-that-name", "carol", "alice", ""):
        page = alice.execute(SEARCH, {"counterparty": name})["transactions"]
        assert page["edges"] == [] and page["totalCount"] == 0 and page["pageInfo"]["hasNextPage"] is False, name


@pytest.mark.parametrize(
    ("variables", "argument"),
    [
        ({"from": "2026-03-05T00:00:00Z", "to": "2026-03-04T00:00:00Z"}, "createdFrom"),
        ({"min": "10.00", "max": "9.99"}, "minAmount"),
        ({"min": "-1.00"}, "minAmount"),
        ({"max": "-0.01"}, "maxAmount"),
        ({"min": "1.005"}, "minAmount"),
        ({"note": ""}, "noteContains"),
        ({"note": "x" * 101}, "noteContains"),
    ],
)
def test_a_bad_filter_is_bad_user_input_naming_the_argument(as_, variables, argument):
    response = as_("alice").request(SEARCH, variables)

    assert response.error_codes == ["BAD_USER_INPUT"]
    assert argument in response.errors[0]["message"]
    assert response.data is None or response.data.get("transactions") is None


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "2026-03-01 25:00", "", "1.5e3"])
def test_an_unparseable_time_is_bad_user_input_as_a_variable_and_as_a_literal(as_, value):
    alice = as_("alice")

    as_variable = alice.request(SEARCH, {"from": value})
    as_literal = alice.request(f'{{ transactions(createdTo: "{value}") {{ totalCount }} }}')
    as_number = alice.request("{ transactions(createdTo: 20260301) { totalCount } }")

    for response in (as_variable, as_literal, as_number):
        assert response.error_codes == ["BAD_USER_INPUT"], response.errors
        assert "DateTime" in response.errors[0]["message"]
    assert "$from" in as_variable.errors[0]["message"]


def test_the_longest_note_filter_is_accepted(as_):
    assert search(as_("alice"), note="x" * 100) == []


FILTERS = [
    {"direction": "IN"},
    {"direction": "OUT"},
    {"counterparty": "alice"},
    {"counterparty": "bob"},
    {"counterparty": "carol"},
    {"note": "rent"},
    {"note": "coffee"},
    {"min": "3.00", "max": "50.00"},
    {"from": iso(day(3)), "to": iso(day(9))},
    {"direction": "OUT", "note": "e", "min": "3.00"},
]


@pytest.mark.parametrize("viewer", ["alice", "bob", "carol"])
def test_no_filter_reveals_a_movement_outside_the_viewers_history(as_, viewer):
    """Every filter's answer is exactly what the viewer's own history holds that matches it: an oracle over the
    unfiltered history, for every viewer, so that nothing another user did (their refused transfers, their
    movements with the same note or counterparty) comes through."""
    client = as_(viewer)
    history = nodes(client)

    for variables in FILTERS:
        expected = [node["amount"] for node in history if _matches(node, viewer, variables)]
        assert search(client, **variables) == expected, variables


def _matches(node: dict, viewer: str, variables: dict) -> bool:
    sender = (node["sender"] or {}).get("username")
    receiver = (node["receiver"] or {}).get("username")
    created = datetime.fromisoformat(node["createdAt"])
    amount = Decimal(node["amount"])
    checks = {
        "direction": lambda v: (receiver if v == "IN" else sender) == viewer,
        "counterparty": lambda v: {sender, receiver} == {viewer, v},
        "note": lambda v: v.lower() in (node["note"] or "").lower(),
        "min": lambda v: amount >= Decimal(v),
        "max": lambda v: amount <= Decimal(v),
        "from": lambda v: created >= datetime.fromisoformat(v),
        "to": lambda v: created < datetime.fromisoformat(v),
    }
    return all(checks[name](value) for name, value in variables.items())
