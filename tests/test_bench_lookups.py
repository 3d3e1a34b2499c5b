"""The lookups that bench/run measures (bench/lookups.py) read the viewer's tagged movements through their initiator,
sender and receiver columns (wallet/selectors/, so that an index over those columns and the tags answers them).
That is a superset of the history rows, which still decide: the answers are exactly the history rows with the tag,
for every kind of movement and every viewer, failed ones and a staff user's reversals included."""

import itertools
from decimal import Decimal

import pytest

from wallet import selectors, services
from wallet.models import Transaction
from wallet.services import BatchItem, Tags

pytestmark = pytest.mark.django_db

counter = itertools.count(1)


def tags() -> Tags:
    n = next(counter)
    return Tags(reference=f"ref-{n}", metadata={"shop": "north", "order": str(n)})


def test_a_lookup_answers_exactly_the_history_rows_with_the_tag(make_user, fund):
    payer, merchant, other = make_user("payer"), make_user("merchant", mobile_number="+14155550123"), make_user()
    staff = make_user("staff")
    staff.is_staff = True
    staff.save()
    for user in (payer, merchant, other, staff):
        fund(user, "500.00")
    services.money_add(user=payer, amount=Decimal("5"), idempotency_key="add", tags=tags())
    services.withdrawal_create(user=payer, amount=Decimal("1"), idempotency_key="out", tags=tags())
    paid = services.transfer_create(
        sender=payer, receiver_username="merchant", amount=Decimal("10"), idempotency_key="pay", tags=tags()
    ).transaction
    services.transfer_create(  # refused: only its initiator sees it
        sender=payer, receiver_username="merchant", amount=Decimal("9999"), idempotency_key="too-much", tags=tags()
    )
    services.mobile_payment_create(
        sender=other, mobile_number="+14155550123", amount=Decimal("3"), idempotency_key="mobile", tags=tags()
    )
    services.reversal_create(
        user=merchant, transaction_id=paid.pk, amount=Decimal("1"), idempotency_key="back", tags=tags()
    )
    services.reversal_create(  # by a staff user: in the staff user's history, neither side of it
        user=staff, transaction_id=paid.pk, amount=Decimal("1"), idempotency_key="staff-back", tags=tags()
    )
    holds = [
        services.hold_create(
            payer=payer, amount=Decimal("4"), idempotency_key=f"hold-{i}", expires_in_seconds=3600,
            receiver_username="merchant", tags=tags(),
        ).transaction
        for i in range(4)
    ]  # fmt: skip
    services.hold_capture(user=merchant, hold_id=holds[0].pk, amount=Decimal("2"), idempotency_key="c0", tags=tags())
    services.hold_capture(user=payer, hold_id=holds[1].pk, amount=None, idempotency_key="c1", tags=tags())
    services.hold_void(user=merchant, hold_id=holds[2].pk, idempotency_key="v2", tags=tags())
    services.transfer_batch_create(
        sender=other,
        transfers=[
            BatchItem(receiver_username="merchant", amount=Decimal("1"), tags=tags()),
            BatchItem(receiver_username="nobody-by-that-name", amount=Decimal("1"), tags=tags()),
            BatchItem(receiver_username="payer", amount=Decimal("1"), tags=tags()),
        ],
        atomic=False,
        idempotency_key="batch",
    )
    tagged = Transaction.objects.exclude(reference="")
    assert tagged.filter(status="FAILED").count() >= 2 and tagged.count() == next(counter) - 1

    for user in (payer, merchant, other, staff):
        history = Transaction.objects.filter(parties__wallet=user.wallet)
        for reference in tagged.values_list("reference", flat=True):
            assert _ids(selectors.transactions_for_user(user=user, reference=reference)) == _ids(
                history.filter(reference=reference)
            )
        for pair in [{"shop": "north"}, {"shop": "south"}] + [{"order": str(n)} for n in range(1, 30)]:
            assert _ids(selectors.transactions_for_user(user=user, metadata=pair)) == _ids(
                history.filter(metadata__contains=pair)
            )
        assert _ids(selectors.transactions_for_user(user=user, reference="ref-3", metadata={"order": "3"})) == _ids(
            history.filter(reference="ref-3", metadata__contains={"order": "3"})
        )
        assert _ids(selectors.transactions_for_user(user=user, reference="")) == _ids(history.filter(reference=""))
    staff_rows = selectors.transactions_for_user(user=staff, metadata={"shop": "north"})
    assert [row.kind for row in staff_rows] == ["REVERSAL"]


def _ids(queryset) -> list[int]:
    return list(queryset.order_by("-id").values_list("id", flat=True))
