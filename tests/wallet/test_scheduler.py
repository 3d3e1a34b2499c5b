"""Standing orders and the scheduler, on the service: occurrence dates, runs at chosen times (the pass takes `now`,
no sleeps), failures, pause/resume/cancel, ends, catch-up, and races between schedulers on a real PostgreSQL."""

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from wallet.errors import ErrorCode, WalletError
from wallet.ledger_audit import audit_ledger
from wallet.models import StandingOrder, StandingOrderOccurrence, Transaction, User, Wallet
from wallet.services import scheduler
from wallet.services import standing_orders as orders_service
from wallet.services.ledger import transfer_create
from wallet.services.standing_orders import (
    occurrence_due_at,
    occurrence_key,
    standing_order_cancel,
    standing_order_create,
    standing_order_pause,
    standing_order_resume,
    standing_orders_run_due,
)

T0 = datetime(2032, 1, 31, 9, 0, tzinfo=UTC)  # 2032 is a leap year
DAY = timedelta(days=1)


def at(year, month, day, hour=9, minute=0, tz=UTC):
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def series(first, repeat, count, day_of_month=None, tz="UTC"):
    return [
        occurrence_due_at(first_run_at=first, repeat=repeat, day_of_month=day_of_month, number=n, tz=tz)
        for n in range(1, count + 1)
    ]


# --- occurrence dates: a pure function ---------------------------------------------------------------------------


def test_monthly_on_the_31st_runs_on_each_months_last_day_when_shorter_and_returns_to_the_31st():
    assert series(at(2032, 1, 31), "MONTHLY", 7, day_of_month=31) == [
        at(2032, 1, 31),
        at(2032, 2, 29),  # leap year
        at(2032, 3, 31),
        at(2032, 4, 30),
        at(2032, 5, 31),
        at(2032, 6, 30),
        at(2032, 7, 31),
    ]
    assert series(at(2031, 1, 31), "MONTHLY", 3, day_of_month=31)[1] == at(2031, 2, 28)


def test_monthly_day_defaults_to_the_first_runs_day_and_survives_a_short_month():
    # day_of_month None: the first run's day (the service stores it explicitly; the function accepts both).
    assert series(at(2031, 1, 30), "MONTHLY", 4) == [at(2031, 1, 30), at(2031, 2, 28), at(2031, 3, 30), at(2031, 4, 30)]


def test_monthly_starting_in_a_short_month_follows_the_day_of_month_afterwards():
    assert series(at(2031, 2, 28), "MONTHLY", 4, day_of_month=31) == [
        at(2031, 2, 28),
        at(2031, 3, 31),
        at(2031, 4, 30),
        at(2031, 5, 31),
    ]
    # Occurrence 1 is the first run itself; the following ones fall on the day of month.
    assert series(at(2031, 1, 10), "MONTHLY", 3, day_of_month=5) == [at(2031, 1, 10), at(2031, 2, 5), at(2031, 3, 5)]


def test_monthly_crosses_the_year_and_keeps_the_time_of_day():
    first = at(2031, 11, 30, 23, 45)
    assert series(first, "MONTHLY", 4, day_of_month=30) == [
        first,
        at(2031, 12, 30, 23, 45),
        at(2032, 1, 30, 23, 45),
        at(2032, 2, 29, 23, 45),
    ]
    assert occurrence_due_at(first_run_at=first, repeat="MONTHLY", day_of_month=30, number=25) == at(
        2033, 11, 30, 23, 45
    )


def test_daily_and_weekly_count_from_the_first_run():
    assert series(at(2031, 12, 30), "DAILY", 4) == [at(2031, 12, 30), at(2031, 12, 31), at(2032, 1, 1), at(2032, 1, 2)]
    assert series(at(2032, 2, 22), "WEEKLY", 3) == [at(2032, 2, 22), at(2032, 2, 29), at(2032, 3, 7)]
    assert occurrence_due_at(first_run_at=at(2031, 1, 1), repeat="DAILY", day_of_month=None, number=366) == at(
        2032, 1, 1
    )


def test_calendar_arithmetic_keeps_the_wall_clock_time_across_daylight_saving():
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    first = datetime(2031, 3, 29, 9, 0, tzinfo=london)  # GMT; the clocks go forward on March 30
    due = series(first, "DAILY", 2, tz="Europe/London")[1]
    assert due.astimezone(london).hour == 9
    # (aware datetimes of one tzinfo subtract as wall-clock times: compare in UTC)
    assert due.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=23)


def test_a_one_off_order_has_only_its_first_occurrence_and_numbers_start_at_one():
    assert occurrence_due_at(first_run_at=T0, repeat="NONE", day_of_month=None, number=1) == T0
    with pytest.raises(ValueError):
        occurrence_due_at(first_run_at=T0, repeat="NONE", day_of_month=None, number=2)
    with pytest.raises(ValueError):
        occurrence_due_at(first_run_at=T0, repeat="DAILY", day_of_month=None, number=0)


# --- the scheduler on the service ----------------------------------------------------------------------------------


@pytest.fixture
def alice(make_user):
    return make_user("alice", mobile_number="+14155550100")


@pytest.fixture
def bob(make_user):
    return make_user("bob", mobile_number="+14155550123")


def schedule(owner, *, receiver="bob", amount="10.00", first_run_at=T0, repeat="DAILY", key="so-1", **options):
    return standing_order_create(
        owner=owner,
        receiver_username=receiver,
        amount=Decimal(amount),
        first_run_at=first_run_at,
        repeat=repeat,
        idempotency_key=key,
        now=first_run_at - timedelta(hours=1),
        **options,
    ).standing_order


def balance(user) -> Decimal:
    return Wallet.objects.get(user=user).balance


def occurrences(order) -> list[tuple]:
    return list(
        StandingOrderOccurrence.objects.filter(standing_order=order)
        .order_by("number")
        .values_list("number", "due_at", "status", "failure_code")
    )


def fresh(order) -> StandingOrder:
    return StandingOrder.objects.get(pk=order.pk)


@pytest.mark.django_db
def test_an_occurrence_runs_when_due_and_once(alice, bob, fund):
    fund(alice, "100.00")
    order = schedule(alice)

    assert str(standing_orders_run_due(now=T0 - timedelta(seconds=1))) == "0 paid, 0 failed, 0 busy"
    assert balance(bob) == 0

    assert standing_orders_run_due(now=T0).succeeded == 1
    assert standing_orders_run_due(now=T0 + timedelta(hours=23)).succeeded == 0
    assert balance(bob) == Decimal("10.00") and balance(alice) == Decimal("90.00")
    order = fresh(order)
    assert (order.next_number, order.next_run_at, order.status) == (2, T0 + DAY, "ACTIVE")

    assert standing_orders_run_due(now=T0 + DAY).succeeded == 1
    assert occurrences(order) == [(1, T0, "SUCCESS", ""), (2, T0 + DAY, "SUCCESS", "")]
    occurrence = StandingOrderOccurrence.objects.select_related("transaction").get(standing_order=order, number=2)
    assert occurrence.ran_at == T0 + DAY
    assert occurrence.transaction.kind == "TRANSFER" and occurrence.transaction.status == "SUCCESS"
    assert occurrence.transaction.idempotency_key == occurrence_key(order.pk, 2) == f"~standing-order:{order.pk}:2"
    assert occurrence.transaction.metadata == {"standingOrder": str(order.pk), "occurrence": "2"}
    assert balance(bob) == Decimal("20.00")
    assert audit_ledger().problems == []


@pytest.mark.django_db
def test_a_refused_occurrence_is_recorded_failed_with_its_code_and_the_next_one_runs(alice, bob, fund):
    fund(alice, "15.00")
    order = schedule(alice)

    standing_orders_run_due(now=T0)
    run = standing_orders_run_due(now=T0 + DAY)
    assert (run.succeeded, run.failed) == (0, 1)
    failed = StandingOrderOccurrence.objects.select_related("transaction").get(standing_order=order, number=2)
    assert (failed.status, failed.failure_code) == ("FAILED", "INSUFFICIENT_FUNDS")
    assert failed.transaction.status == "FAILED" and failed.transaction.failure_code == "INSUFFICIENT_FUNDS"
    assert fresh(order).status == "ACTIVE" and fresh(order).next_run_at == T0 + 2 * DAY

    fund(alice, "20.00")
    assert standing_orders_run_due(now=T0 + 2 * DAY).succeeded == 1
    assert [(n, status) for n, _, status, _ in occurrences(order)] == [(1, "SUCCESS"), (2, "FAILED"), (3, "SUCCESS")]
    assert balance(bob) == Decimal("20.00") and balance(alice) == Decimal("15.00")


@pytest.mark.django_db
def test_a_receiver_gone_since_scheduling_fails_its_occurrences(alice, bob, fund):
    fund(alice, "100.00")
    order = schedule(alice)
    User.objects.filter(pk=bob.pk).update(is_active=False)

    assert standing_orders_run_due(now=T0).failed == 1
    assert occurrences(order) == [(1, T0, "FAILED", "RECEIVER_NOT_FOUND")]
    assert balance(alice) == Decimal("100.00")


@pytest.mark.django_db
def test_an_order_named_by_mobile_number_pays_the_user_it_named_by_mobile_payment(alice, bob, fund):
    fund(alice, "100.00")
    order = standing_order_create(
        owner=alice,
        mobile_number="+1 415 555 0123",
        amount=Decimal("5.00"),
        first_run_at=T0,
        repeat="NONE",
        idempotency_key="m",
        now=T0,
    ).standing_order
    assert (order.receiver_id, order.receiver_mobile_number) == (bob.pk, "+14155550123")
    # The number moves to someone else: the order still pays bob, whom the owner chose.
    User.objects.filter(pk=bob.pk).update(mobile_number=None)
    standing_orders_run_due(now=T0)
    txn = StandingOrderOccurrence.objects.get(standing_order=order).transaction
    assert txn.kind == "PAY_BY_MOBILE" and txn.receiver_wallet.user_id == bob.pk
    assert balance(bob) == Decimal("5.00")


@pytest.mark.django_db
def test_pause_stops_occurrences_and_resume_skips_those_that_fell_due_meanwhile(alice, bob, fund):
    fund(alice, "100.00")
    order = schedule(alice)
    standing_orders_run_due(now=T0)

    standing_order_pause(owner=alice, standing_order_id=order.pk, idempotency_key="p")
    assert standing_order_pause(owner=alice, standing_order_id=order.pk, idempotency_key="p").status == "PAUSED"
    assert standing_orders_run_due(now=T0 + 2 * DAY).succeeded == 0

    resumed = standing_order_resume(
        owner=alice, standing_order_id=order.pk, idempotency_key="r", now=T0 + 2 * DAY + timedelta(hours=1)
    )
    # Occurrences 2 (T0+1d) and 3 (T0+2d) fell due while paused: skipped, not run late.
    assert (resumed.status, resumed.next_number, resumed.next_run_at) == ("ACTIVE", 4, T0 + 3 * DAY)
    assert standing_orders_run_due(now=T0 + 2 * DAY + timedelta(hours=2)).succeeded == 0
    assert standing_orders_run_due(now=T0 + 3 * DAY).succeeded == 1
    assert [number for number, *_ in occurrences(order)] == [1, 4]
    assert balance(bob) == Decimal("20.00")


@pytest.mark.django_db
def test_resuming_past_the_end_completes_the_order(alice, bob, fund):
    order = schedule(alice, max_occurrences=2)
    standing_order_pause(owner=alice, standing_order_id=order.pk, idempotency_key="p")
    resumed = standing_order_resume(owner=alice, standing_order_id=order.pk, idempotency_key="r", now=T0 + 5 * DAY)
    assert (resumed.status, resumed.next_run_at) == ("COMPLETED", None)
    assert occurrences(order) == []


@pytest.mark.django_db
def test_a_cancelled_order_never_runs_again_and_cannot_be_resumed(alice, bob, fund):
    fund(alice, "100.00")
    order = schedule(alice)
    cancelled = standing_order_cancel(owner=alice, standing_order_id=order.pk, idempotency_key="c")
    assert (cancelled.status, cancelled.next_run_at) == ("CANCELLED", None)
    assert standing_order_cancel(owner=alice, standing_order_id=order.pk, idempotency_key="c").status == "CANCELLED"
    assert standing_orders_run_due(now=T0 + 10 * DAY).succeeded == 0
    for change in (standing_order_resume, standing_order_pause):
        with pytest.raises(WalletError) as refused:
            change(owner=alice, standing_order_id=order.pk, idempotency_key="x")
        assert refused.value.code == ErrorCode.INVALID_INPUT
    assert balance(bob) == 0


@pytest.mark.django_db
def test_only_the_owner_can_change_an_order(alice, bob, fund):
    order = schedule(alice)
    for change in (standing_order_pause, standing_order_resume, standing_order_cancel):
        with pytest.raises(WalletError) as refused:
            change(owner=bob, standing_order_id=order.pk, idempotency_key="x")
        assert refused.value.code == ErrorCode.STANDING_ORDER_NOT_FOUND
    assert fresh(order).status == "ACTIVE"


@pytest.mark.django_db
def test_an_order_ends_by_count_and_a_long_outage_runs_each_missed_occurrence_once(alice, bob, fund):
    fund(alice, "100.00")
    order = schedule(alice, max_occurrences=3)

    run = standing_orders_run_due(now=T0 + 10 * DAY)  # the scheduler was down for ten days
    assert run.succeeded == 3
    assert [(n, due) for n, due, *_ in occurrences(order)] == [(1, T0), (2, T0 + DAY), (3, T0 + 2 * DAY)]
    assert (fresh(order).status, fresh(order).next_run_at) == ("COMPLETED", None)
    assert standing_orders_run_due(now=T0 + 20 * DAY).succeeded == 0
    assert balance(bob) == Decimal("30.00")


@pytest.mark.django_db
def test_an_order_ends_by_date(alice, bob, fund):
    fund(alice, "100.00")
    order = schedule(alice, repeat="WEEKLY", ends_at=T0 + 14 * DAY)  # inclusive: T0, +7d, +14d

    for day in (0, 7, 14):
        assert standing_orders_run_due(now=T0 + day * DAY).succeeded == 1
    assert (fresh(order).status, fresh(order).next_run_at) == ("COMPLETED", None)
    assert len(occurrences(order)) == 3


@pytest.mark.django_db
def test_a_one_off_order_completes_after_its_run(alice, bob, fund):
    fund(alice, "100.00")
    order = schedule(alice, repeat="NONE")
    assert standing_orders_run_due(now=T0 + DAY).succeeded == 1
    assert (fresh(order).status, len(occurrences(order))) == ("COMPLETED", 1)


@pytest.mark.django_db
def test_monthly_orders_run_on_month_ends(alice, bob, fund):
    fund(alice, "100.00")
    order = schedule(alice, repeat="MONTHLY", day_of_month=31)
    standing_orders_run_due(now=at(2032, 4, 30, 10))
    assert [due for _, due, *_ in occurrences(order)] == [
        at(2032, 1, 31),
        at(2032, 2, 29),
        at(2032, 3, 31),
        at(2032, 4, 30),
    ]
    assert fresh(order).next_run_at == at(2032, 5, 31)


@pytest.mark.django_db
def test_the_derived_key_cannot_collide_with_a_key_the_owner_sends(alice, bob, fund):
    fund(alice, "100.00")
    order = schedule(alice)
    # The owner cannot send a key in the service's space...
    with pytest.raises(WalletError) as refused:
        transfer_create(
            sender=alice, receiver_username="bob", amount=Decimal("1.00"), idempotency_key=occurrence_key(order.pk, 1)
        )
    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, "idempotency_key")
    # ... and their own look-alike key is another key: the occurrence still pays.
    transfer_create(
        sender=alice, receiver_username="bob", amount=Decimal("1.00"), idempotency_key=f"standing-order:{order.pk}:1"
    )
    assert standing_orders_run_due(now=T0).succeeded == 1
    assert balance(bob) == Decimal("11.00")


@pytest.mark.django_db
def test_a_pass_killed_before_recording_rolls_the_payment_back_and_the_next_pays_once(alice, bob, fund):
    fund(alice, "100.00")
    order = schedule(alice)

    killed = mock.patch.object(orders_service, "occurrence_record", side_effect=RuntimeError("killed"))
    with killed, pytest.raises(RuntimeError):
        standing_orders_run_due(now=T0)
    assert balance(bob) == 0 and occurrences(order) == []
    assert fresh(order).next_number == 1

    assert standing_orders_run_due(now=T0).succeeded == 1
    assert balance(bob) == Decimal("10.00")
    assert Transaction.objects.filter(idempotency_key=occurrence_key(order.pk, 1)).count() == 1


@pytest.mark.django_db
def test_a_payment_committed_without_its_record_is_replayed_not_paid_again(alice, bob, fund):
    fund(alice, "100.00")
    order = schedule(alice)
    # As if a scheduler posted occurrence 1 in a transaction of its own and died before recording it.
    paid = orders_service.occurrence_pay(order=fresh(order), number=1)
    assert paid.replayed is False and balance(bob) == Decimal("10.00")

    assert standing_orders_run_due(now=T0).succeeded == 1
    occurrence = StandingOrderOccurrence.objects.get(standing_order=order, number=1)
    assert occurrence.transaction_id == paid.transaction.pk
    assert balance(bob) == Decimal("10.00") and balance(alice) == Decimal("90.00")
    assert audit_ledger().problems == []


@pytest.mark.django_db
def test_busy_wallets_leave_the_occurrence_for_the_next_pass(alice, bob, fund):
    from wallet.errors import WalletBusy

    fund(alice, "100.00")
    order = schedule(alice)
    with mock.patch.object(orders_service, "occurrence_pay", side_effect=WalletBusy()):
        run = standing_orders_run_due(now=T0)
    assert (run.succeeded, run.busy) == (0, {order.pk})
    assert occurrences(order) == [] and fresh(order).next_number == 1
    assert standing_orders_run_due(now=T0).succeeded == 1


def run_concurrently(calls):
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait()
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_racing_pay_each_occurrence_once(make_user, fund):
    owners = [make_user(f"owner{i}") for i in range(4)]
    receiver = make_user("payee")
    for i, owner in enumerate(owners):
        fund(owner, "100.00")
        schedule(owner, receiver="payee", key=f"so-{i}", max_occurrences=3)

    runs = run_concurrently([lambda: standing_orders_run_due(now=T0 + 5 * DAY)] * 2)

    assert sum(run.succeeded for run in runs) == 12
    assert StandingOrderOccurrence.objects.count() == 12
    assert Transaction.objects.filter(idempotency_key__startswith="~standing-order:").count() == 12
    assert balance(receiver) == Decimal("120.00")
    assert set(StandingOrder.objects.values_list("status", flat=True)) == {"COMPLETED"}
    assert audit_ledger().problems == []


@pytest.mark.django_db(transaction=True)
def test_a_pause_racing_a_scheduler_either_waits_for_the_occurrence_or_stops_it(make_user, fund):
    alice, bob = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    order = schedule(alice)

    run, paused = run_concurrently(
        [
            lambda: standing_orders_run_due(now=T0),
            lambda: standing_order_pause(
                owner=User.objects.get(pk=alice.pk), standing_order_id=order.pk, idempotency_key="p"
            ),
        ]
    )
    assert paused.status == "PAUSED" and fresh(order).status == "PAUSED"
    assert run.succeeded == StandingOrderOccurrence.objects.count() == len(Transaction.objects.filter(kind="TRANSFER"))
    assert balance(bob) == Decimal("10.00") * run.succeeded


# --- the pass and the command ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_pass_releases_expired_holds_and_runs_due_occurrences(alice, bob, fund):
    from wallet.models import PaymentRequest
    from wallet.services import hold_create, payment_request_create

    fund(alice, "100.00")
    schedule(alice, first_run_at=timezone.now() + timedelta(minutes=1), key="so")
    hold = hold_create(
        payer=alice, amount=Decimal("5.00"), idempotency_key="h", expires_in_seconds=60, receiver_username="bob"
    ).transaction
    request = payment_request_create(
        requester=bob, payer_username="alice", amount=Decimal("3.00"), expires_in_seconds=60, idempotency_key="r"
    ).payment_request

    outcomes = scheduler.scheduler_pass(now=timezone.now() + timedelta(minutes=2))

    assert [(o.name, o.error) for o in outcomes] == [
        ("expired holds released", None),
        ("standing order occurrences", None),
        ("payment requests expired", None),
    ]
    assert outcomes[0].result == 1 and outcomes[1].result.succeeded == 1 and outcomes[2].result == 1
    assert Transaction.objects.filter(original=hold, kind="HOLD_RELEASE").count() == 1
    assert PaymentRequest.objects.get(pk=request.pk).status == PaymentRequest.Status.EXPIRED
    assert balance(bob) == Decimal("10.00")


def test_a_failing_step_is_logged_and_the_others_still_run():
    ran = []

    def broken(now):
        raise RuntimeError("boom")

    steps = [
        scheduler.SchedulerStep("broken", broken),
        scheduler.SchedulerStep("after", lambda now: ran.append(now) or "ok"),
    ]
    outcomes = scheduler.scheduler_pass(now=T0, steps=steps)
    assert [type(o.error) for o in outcomes] == [RuntimeError, type(None)]
    assert ran == [T0] and outcomes[1].result == "ok"


@pytest.mark.django_db(transaction=True)
def test_run_scheduler_once_pays_a_due_occurrence(make_user, fund, database_url):
    alice, bob = make_user("alice"), make_user("bob")
    fund(alice, "50.00")
    order = standing_order_create(
        owner=alice,
        receiver_username="bob",
        amount=Decimal("12.50"),
        first_run_at=timezone.now(),
        repeat="MONTHLY",
        idempotency_key="so",
    ).standing_order

    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "server.settings", "REDIS_URL": ""}
    done = subprocess.run(
        [sys.executable, "manage.py", "run_scheduler"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert "standing order occurrences: 1 paid, 0 failed, 0 busy" in done.stdout
    assert "expired holds released: 0" in done.stdout
    assert "payment requests expired: 0" in done.stdout
    assert balance(bob) == Decimal("12.50")
    assert occurrences(order)[0][2] == "SUCCESS"
    assert fresh(order).next_number == 2
