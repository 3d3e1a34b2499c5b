"""The search scenario that bench/run measures (bench/search.py): its ledger is consistent and shaped as it says, and
each page it measures is the page the service should answer, checked against the ledger itself."""

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db.models import Q
from django.test import Client

from bench import fixtures, search
from wallet.ledger_audit import audit_ledger
from wallet.models import Transaction, TransactionParty

pytestmark = pytest.mark.django_db

OWN = 200


@pytest.fixture
def scenario():
    fixtures.seed_searched(prefix=search.PREFIX, others=30, own=OWN, password="x")
    fixtures.grow_tagged(prefix=search.PREFIX, users=41, total_entries=2_000, password="x")
    return search.measured_user()


def test_the_searched_ledger_is_consistent_and_shaped_as_the_scenario_says(scenario):
    user = scenario
    report = audit_ledger()
    assert report.problems == [] and report.ledger_sum == 0
    own = Transaction.objects.filter(parties__wallet=user.wallet, kind="TRANSFER").order_by("id")
    assert own.count() == OWN and TransactionParty.objects.filter(wallet=user.wallet).count() == OWN + 1
    assert own.filter(sender_wallet=user.wallet).count() == own.filter(receiver_wallet=user.wallet).count() == OWN // 2
    pair = Q(sender_wallet__user__username="srch00002") | Q(receiver_wallet__user__username="srch00002")
    assert own.filter(pair).count() == OWN // 5
    assert {note: own.filter(note=note).count() for note in fixtures.SEARCH_NOTES} == dict.fromkeys(
        fixtures.SEARCH_NOTES, OWN // 4
    )
    times = list(own.values_list("created_at", flat=True))
    assert times == sorted(times) and len(set(times)) == OWN  # in id order, as the service writes them
    steps = {later - earlier for earlier, later in zip(times[:-1], times[1:], strict=True)}
    assert steps == {timedelta(days=fixtures.SEARCH_DAYS) / OWN}  # evenly over the 400 days before the fixtures
    amounts = set(own.values_list("amount", flat=True))
    assert min(amounts) >= Decimal("1.00") and max(amounts) <= Decimal("999.00") and len(amounts) > OWN // 2
    # The counterparty also pays the others, so its own movements grow with the ledger while the user's do not.
    assert TransactionParty.objects.filter(wallet__user__username="srch00002").count() > OWN // 5


def test_each_measured_page_is_the_ledgers_answer(scenario):
    from graphql_jwt.shortcuts import get_token

    user = scenario
    client = Client(HTTP_HOST="127.0.0.1")
    token = get_token(user)

    def post(body: dict) -> dict:
        response = client.post(
            "/graphql/", data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        return response.json()

    window = search.history_window(user)
    measured = search.queries(post, window)

    assert "direction/page5" in measured  # the others may have too few matches among 200 movements
    assert measured["nothing/first"][1] == 0 and measured["direction/first"][1] == search.PAGE
    history = Transaction.objects.filter(parties__wallet=user.wallet).order_by("-id")
    for name, (variables, rows) in measured.items():
        expected = list(_oracle(history, user, variables).values_list("amount", flat=True))
        page = 1 if name.endswith("/first") else search.DEEP_PAGE
        expected = expected[(page - 1) * search.PAGE : page * search.PAGE]
        answer = post({"query": search.DOCUMENT, "variables": variables})["data"]["transactions"]["edges"]
        assert [Decimal(edge["node"]["amount"]) for edge in answer] == expected, name
        assert rows == len(expected), name
    statements = search.captured_sql("counterparty/first", measured["counterparty/first"][0], 20, token)
    assert any("wallet_transactionparty" in sql for sql in statements)


def _oracle(history, user, variables: dict):
    wallet = user.wallet
    conditions = {
        "from": lambda v: Q(created_at__gte=datetime.fromisoformat(v)),
        "to": lambda v: Q(created_at__lt=datetime.fromisoformat(v)),
        "min": lambda v: Q(amount__gte=Decimal(v)),
        "max": lambda v: Q(amount__lte=Decimal(v)),
        "counterparty": lambda v: (
            Q(sender_wallet__user__username=v, receiver_wallet=wallet)
            | Q(receiver_wallet__user__username=v, sender_wallet=wallet)
        ),
        "direction": lambda v: Q(receiver_wallet=wallet) if v == "IN" else Q(sender_wallet=wallet),
        "note": lambda v: Q(note__icontains=v),
        "after": lambda v: Q(),
    }
    for name, value in variables.items():
        history = history.filter(conditions[name](value))
    return history
