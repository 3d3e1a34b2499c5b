"""Reads. Every function that returns a user's data takes the user, so no caller can forget to filter."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import cache

from django.db import InterfaceError, OperationalError, connection
from django.db.models import BigIntegerField, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Cast, Lower
from django.utils import timezone

from wallet import prepared
from wallet.models import (
    LedgerEntry,
    PaymentRequest,
    StandingOrder,
    StandingOrderOccurrence,
    Transaction,
    User,
    Wallet,
    WalletFreeze,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from wallet.money import from_minor_units, zero
from wallet.validation import SERVICE_KEY_PREFIX


def wallet_for_user(*, user: User) -> Wallet:
    return user.wallet  # loaded with the user when it was authenticated


def start_of_today() -> datetime:
    """Midnight of the current calendar day in TIME_ZONE, as an aware datetime."""
    return timezone.make_aware(datetime.combine(timezone.localdate(), time.min))


def transferred_today(*, wallet: Wallet) -> Decimal:
    """What the wallet sent today in movements that count toward its daily limit."""
    if wallet.spent_on == timezone.localdate():
        return wallet.spent_today
    return zero()


def balance_at(*, wallet: Wallet, at: datetime) -> Decimal:
    """The wallet's balance as it stood at a moment: the sum of its posted entries made before it (created_at < at).

    Not "the balance_after of the last entry by created_at": an entry's created_at is the moment its posting
    request started, before it waited for the wallet's lock, so a movement that started earlier can commit (and
    take a higher id and a balance_after that counts the other) later. Summing by created_at agrees with a
    statement's totals for any period, and [from, to) periods chain: this is a statement's opening at `from`.
    Read as the balance now less what was posted at or after `at`, in one statement (one snapshot), so the cost
    is the entries since `at` (an index range of entry_wallet_time), not the wallet's whole history."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT w.balance - coalesce((
                SELECT sum(e.delta) FROM {LedgerEntry._meta.db_table} e
                WHERE e.wallet_id = w.id AND NOT e.pending AND e.created_at >= %(at)s), 0)
            FROM {Wallet._meta.db_table} w WHERE w.id = %(wallet)s
            """,
            {"wallet": wallet.pk, "at": at},
        )
        return from_minor_units(cursor.fetchone()[0])


def balance_history(*, wallet: Wallet, days: int, now: datetime | None = None) -> list[tuple[datetime, Decimal]]:
    """One point per UTC day for the last `days` days, oldest first: the balance at each day's end (the next
    midnight UTC), and for today the balance now. Each point is `balance_at` at its moment, all from one query:
    the posted deltas bucketed between consecutive points (an index range each), summed from the newest bucket
    back and taken off the balance now, which the same statement reads."""
    now = now or timezone.now()
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    points = [today - timedelta(days=back) for back in range(days - 2, -1, -1)] + [now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH point AS (  -- numbered, not keyed by time: at exactly midnight, today's end and now coincide
                SELECT n, at, lead(at) OVER (ORDER BY n) AS next_at
                FROM unnest(%(points)s::timestamptz[]) WITH ORDINALITY AS p(at, n)
            ), bucket AS (
                SELECT point.n, point.at, coalesce(sum(e.delta), 0) AS moved
                FROM point LEFT JOIN {LedgerEntry._meta.db_table} e
                    ON e.wallet_id = %(wallet)s AND NOT e.pending AND e.created_at >= point.at
                    AND (point.next_at IS NULL OR e.created_at < point.next_at)
                GROUP BY point.n, point.at
            )
            SELECT bucket.at,
                (SELECT balance FROM {Wallet._meta.db_table} WHERE id = %(wallet)s)
                    - sum(bucket.moved) OVER (ORDER BY bucket.n DESC)
            FROM bucket ORDER BY bucket.n
            """,
            {"wallet": wallet.pk, "points": points},
        )
        return [(at, from_minor_units(balance)) for at, balance in cursor.fetchall()]


def expired_holds(*, wallet: Wallet, now: datetime | None = None) -> QuerySet[Transaction]:
    """The wallet's holds past their expiry that no capture or release has resolved yet."""
    return Transaction.objects.filter(
        kind=Transaction.Kind.HOLD,
        status=Transaction.Status.PENDING,
        sender_wallet=wallet,
        expires_at__lte=now or timezone.now(),
    ).exclude(follow_ups__kind__in=Transaction.HOLD_RESOLUTION_KINDS, follow_ups__status=Transaction.Status.SUCCESS)


def available_balance(*, wallet: Wallet) -> Decimal:
    """Balance minus what active holds reserve; an expired hold reserves nothing, released or not."""
    if wallet.held == 0:
        return wallet.balance
    expired = expired_holds(wallet=wallet).aggregate(total=Sum("amount"))["total"] or zero()
    return wallet.balance - wallet.held + expired


def hold_resolutions() -> QuerySet[Transaction]:
    return Transaction.objects.filter(kind__in=Transaction.HOLD_RESOLUTION_KINDS, status=Transaction.Status.SUCCESS)


def hold_is_resolved(*, hold: Transaction) -> bool:
    return hold_resolutions().filter(original=hold).exists()


def hold_state(*, hold: Transaction) -> str | None:
    """ACTIVE, CAPTURED, VOIDED or EXPIRED for a hold that reserved money; None for anything else."""
    if hold.kind != Transaction.Kind.HOLD or hold.status != Transaction.Status.PENDING:
        return None
    resolutions = getattr(hold, "resolutions", None)  # prefetched by history pages that show it
    if resolutions is None:
        resolutions = list(hold_resolutions().filter(original=hold))
    if resolutions:
        resolution = resolutions[0]
        if resolution.kind == Transaction.Kind.HOLD_CAPTURE:
            return "CAPTURED"
        return "EXPIRED" if resolution.idempotency_key.startswith(SERVICE_KEY_PREFIX) else "VOIDED"
    return "EXPIRED" if timezone.now() >= hold.expires_at else "ACTIVE"


def outgoing_since(*, since: datetime) -> QuerySet[Transaction]:
    """Movements since a moment that count toward their sender's daily limit (holds while pending)."""
    return Transaction.objects.filter(
        status__in=[Transaction.Status.SUCCESS, Transaction.Status.PENDING],
        kind__in=Transaction.OUTGOING_KINDS,
        created_at__gte=since,
    )


# What a history row shows: the transaction's own columns and, of each side, only the username.
TRANSACTION_FIELDS = (
    "id",
    "reference",
    "kind",
    "status",
    "amount",
    "currency",
    "initiator_id",
    "sender_wallet_id",
    "receiver_wallet_id",
    "idempotency_key",
    "failure_code",
    "note",
    "created_at",
)
PARTY_FIELDS = ("sender_wallet__user__username", "receiver_wallet__user__username")


def _viewer_entries(wallet: Wallet, prefix: str = "") -> Prefetch:
    # A transaction shows only the viewer's own legs of it.
    return Prefetch(
        f"{prefix}entries",
        queryset=LedgerEntry.objects.filter(wallet=wallet).order_by("id"),
        to_attr="viewer_entries",
    )


class Direction(StrEnum):
    IN = "IN"  # the viewer's wallet received the movement
    OUT = "OUT"  # the viewer's wallet sent it


@dataclass(frozen=True, kw_only=True)
class TransactionSearch:
    """The history's search filters, all optional, combined with AND: created_at in [created_from, created_to),
    amount in [min_amount, max_amount], the other side's username, the viewer's side, a substring of the note."""

    created_from: datetime | None = None
    created_to: datetime | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    counterparty: str | None = None
    direction: Direction | None = None
    note_contains: str | None = None


def _searched(queryset: QuerySet[Transaction], *, search: TransactionSearch, wallet: Wallet) -> QuerySet[Transaction]:
    """The search filters: a page costs at most the viewer's own history, however large the ledger (bench/RESULTS.md,
    "Search")."""
    matches = Q()
    if search.counterparty is not None:
        other = counterparty_wallet_id(search.counterparty)
        if other is None:
            return queryset.none()  # nobody by that name: nothing between them and the viewer
        # Between the two wallets, either way: the other side, seen from the viewer's.
        matches &= Q(sender_wallet_id=other, receiver_wallet_id=wallet.pk) | Q(
            sender_wallet_id=wallet.pk, receiver_wallet_id=other
        )
    if search.created_from is not None:
        matches &= Q(created_at__gte=search.created_from)
    if search.created_to is not None:
        # created_at itself, not an id range: ids are not in created_at order across concurrent transactions.
        matches &= Q(created_at__lt=search.created_to)
    if search.min_amount is not None:
        matches &= Q(amount__gte=search.min_amount)
    if search.max_amount is not None:
        matches &= Q(amount__lte=search.max_amount)
    if search.direction == Direction.IN:
        matches &= Q(receiver_wallet_id=wallet.pk)
    elif search.direction == Direction.OUT:
        matches &= Q(sender_wallet_id=wallet.pk)
    if search.note_contains is not None:
        # Case-insensitive LIKE; Django escapes the text's own "%", "_" and "\\", so they match only themselves.
        matches &= Q(note__icontains=search.note_contains)
    if not matches:
        return queryset
    # Tested on each of the viewer's history rows as the page walks them, newest first, and the walk stops when the
    # page is full: a scalar subquery with a LIMIT, which PostgreSQL runs per row and cannot turn into a join. As
    # plain predicates the planner judged their density from the whole ledger's statistics, not the viewer's, and
    # read everyone's movements in a date range through txn_sender_day, the counterparty's every movement through
    # the foreign-key indexes, or the viewer's whole history in parallel to sort it, for a page it could have
    # stopped after a few dozen rows.
    probe = Transaction.objects.filter(matches, pk=OuterRef("history_id")).values("pk")[:1]
    return queryset.alias(search_probe=Subquery(probe)).filter(search_probe__isnull=False)


def counterparty_wallet_id(username: str) -> int | None:
    """The wallet of the user by that name, active or not (past movements with a closed account stay findable)."""
    return Wallet.objects.filter(user__in=User.objects.with_username(username)).values_list("id", flat=True).first()


def transactions_for_user(
    *,
    user: User,
    kind: str | None = None,
    status: str | None = None,
    with_parties: bool = True,
    with_entries: bool = True,
    with_hold_states: bool = True,
    with_metadata: bool = True,
    reference: str | None = None,
    metadata: dict[str, str] | None = None,
    search: TransactionSearch | None = None,
) -> QuerySet[Transaction]:
    """Newest first: what the user initiated, and what reached their wallet.

    `with_parties` joins the sender's and receiver's usernames; `with_entries`
    prefetches the viewer's entries. Callers that show neither can skip them.
    `search` narrows the history (see TransactionSearch); its filters are checked by the caller.
    """
    wallet = wallet_for_user(user=user)
    # Ordered by the history row's own column, so a keyset page is a range scan of its index.
    queryset = Transaction.objects.filter(parties__wallet=wallet).annotate(history_id=F("parties__transaction_id"))
    if kind is not None:
        queryset = queryset.filter(kind=kind)
    if status is not None:
        queryset = queryset.filter(status=status)
    if search is not None:
        queryset = _searched(queryset, search=search, wallet=wallet)
    if reference is not None:
        queryset = queryset.filter(reference=reference)
    if metadata is not None:
        queryset = queryset.filter(metadata__contains=metadata)  # @>
    if reference or metadata:
        # Answered from the viewer's own tagged movements, not from everyone's with that value (a reference or an
        # order id recurs across initiators): a history row's wallet is always the movement's initiator's, sender
        # or receiver, so this superset of the history rows is three scans of the txn_tags index (GIN over those
        # columns, the reference and the metadata, of tagged movements). Bigint constants, which btree_gin's
        # int8_ops needs to use those columns; the last filter is the index's predicate.
        me, mine = Cast(Value(user.pk), BigIntegerField()), Cast(Value(wallet.pk), BigIntegerField())
        queryset = queryset.filter(Q(initiator_id=me) | Q(sender_wallet_id=mine) | Q(receiver_wallet_id=mine))
        queryset = queryset.filter(~Q(reference="") | ~Q(metadata={}))
    fields = (*TRANSACTION_FIELDS, "metadata") if with_metadata else TRANSACTION_FIELDS
    if with_parties:
        queryset = queryset.select_related("sender_wallet__user", "receiver_wallet__user").only(*fields, *PARTY_FIELDS)
    else:
        queryset = queryset.only(*fields)
    if with_entries:
        queryset = queryset.prefetch_related(_viewer_entries(wallet))
    if with_hold_states:
        queryset = queryset.prefetch_related(Prefetch("follow_ups", hold_resolutions(), to_attr="resolutions"))
    return queryset.order_by("-history_id")


def transaction_for_user(*, user: User, transaction_id: int) -> Transaction | None:
    return transactions_for_user(user=user).filter(id=transaction_id).first()


def reversible_transaction_for_user(*, user: User, transaction_id: int) -> Transaction | None:
    """A transaction the user may reverse: one that reached their wallet, or any if they are staff."""
    queryset = Transaction.objects.select_related("sender_wallet", "receiver_wallet")
    if not user.is_staff:
        queryset = queryset.filter(receiver_wallet__user=user)
    return queryset.filter(pk=transaction_id).first()


def reversed_amount(*, original: Transaction) -> Decimal:
    total = original.follow_ups.filter(kind=Transaction.Kind.REVERSAL, status=Transaction.Status.SUCCESS).aggregate(
        total=Sum("amount")
    )["total"]
    return total if total is not None else zero()


def ledger_entries_for_user(*, user: User) -> QuerySet[LedgerEntry]:
    wallet = wallet_for_user(user=user)
    return (
        LedgerEntry.objects.filter(wallet=wallet)
        .select_related("transaction__sender_wallet__user", "transaction__receiver_wallet__user")
        .only(
            "id",
            "wallet_id",
            "delta",
            "balance_after",
            "created_at",
            "transaction_id",
            *(f"transaction__{field}" for field in (*TRANSACTION_FIELDS, "metadata", *PARTY_FIELDS)),
        )
        .prefetch_related(_viewer_entries(wallet, prefix="transaction__"))
        .order_by("-id")
    )


def ledger_entry_for_user(*, user: User, entry_id: int) -> LedgerEntry | None:
    return ledger_entries_for_user(user=user).filter(id=entry_id).first()


def viewer_entries_of(*, transaction: Transaction, user: User) -> list[LedgerEntry]:
    """The user's legs of a transaction, using the prefetch when the selector made one."""
    prefetched = getattr(transaction, "viewer_entries", None)
    if prefetched is not None:
        return prefetched
    return list(LedgerEntry.objects.filter(transaction=transaction, wallet__user=user).order_by("id"))


def user_by_natural_key(username: str) -> User | None:
    """The user named by an access token, with their wallet: one query, with SQL built once, not per request (the
    ORM's query compilation was a third of an authenticated request's CPU). The token machinery checks is_active."""
    sql, user_fields, wallet_fields = _user_with_wallet_sql()
    try:
        row = _fetch_one(sql, [username.lower()])
    except (InterfaceError, OperationalError):
        if connection.in_atomic_block:
            raise
        # Usually the request's first query, on a connection kept from an earlier request that the server has
        # since dropped (a restart, a terminated backend): reconnect once and read again, as a health check before
        # every request would have, without its round trip on every request.
        connection.close()
        row = _fetch_one(sql, [username.lower()])
    if row is None:
        return None
    user = _from_row(User, user_fields, row[: len(user_fields)])
    if row[len(user_fields)] is not None:  # a staff account may have no wallet
        user.wallet = _from_row(Wallet, wallet_fields, row[len(user_fields) :])
        user.wallet.user = user
    return user


def _fetch_one(sql: str, params: list):
    with connection.cursor() as cursor:
        cursor.execute(prepared.statement(cursor, name="wallet_user_by_name", types="text", sql=sql), params)
        return cursor.fetchone()


@cache
def _user_with_wallet_sql() -> tuple[str, list, list]:
    user_fields, wallet_fields = list(User._meta.concrete_fields), list(Wallet._meta.concrete_fields)
    columns = [f'u."{field.column}"' for field in user_fields] + [f'w."{field.column}"' for field in wallet_fields]
    sql = (
        f"SELECT {', '.join(columns)} FROM {User._meta.db_table} u"
        f" LEFT JOIN {Wallet._meta.db_table} w ON w.user_id = u.id WHERE lower(u.username) = %s"
    )
    return sql, user_fields, wallet_fields


def _from_row(model, fields, values):
    values = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(fields, values, strict=True)
    ]
    return model.from_db(connection.alias, [field.attname for field in fields], values)


def active_user_by_username(username: str) -> User | None:
    return User.objects.with_username(username).filter(is_active=True).select_related("wallet").first()


def active_users_by_usernames(usernames: list[str]) -> dict[str, User]:
    """Active users by lower-cased username, with their wallets, in one query."""
    users = (
        User.objects.alias(username_lower=Lower("username"))
        .filter(username_lower__in={name.lower() for name in usernames}, is_active=True)
        .select_related("wallet")
    )
    return {user.username.lower(): user for user in users}


def active_user_by_mobile_number(mobile_number: str) -> User | None:
    return User.objects.filter(mobile_number=mobile_number, is_active=True).select_related("wallet").first()


def webhook_endpoints_for(*, owner: User) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(owner=owner).order_by("-id")


def webhook_deliveries_for(
    *, owner: User, endpoint_id: int | None = None, status: str | None = None
) -> QuerySet[WebhookDelivery]:
    """The delivery log of the owner's endpoints, newest first, each with its attempts (oldest first)."""
    queryset = WebhookDelivery.objects.filter(endpoint__owner=owner)
    if endpoint_id is not None:
        queryset = queryset.filter(endpoint_id=endpoint_id)
    if status is not None:
        queryset = queryset.filter(status=status)
    attempts = Prefetch("attempt_log", WebhookAttempt.objects.order_by("id"))
    return queryset.prefetch_related(attempts).order_by("-id")


def standing_orders_for(*, owner: User, status: str | None = None) -> QuerySet[StandingOrder]:
    """The owner's standing orders, newest first, with their receivers."""
    queryset = StandingOrder.objects.filter(owner=owner).select_related("receiver")
    if status is not None:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-id")


def standing_order_for(*, owner: User, standing_order_id: int) -> StandingOrder | None:
    return standing_orders_for(owner=owner).filter(pk=standing_order_id).first()


def standing_order_occurrences(*, standing_order: StandingOrder) -> QuerySet[StandingOrderOccurrence]:
    """The occurrences the scheduler ran of an order (the caller checked it is the viewer's), newest first."""
    return (
        StandingOrderOccurrence.objects.filter(standing_order=standing_order)
        .select_related("transaction__sender_wallet__user", "transaction__receiver_wallet__user")
        .order_by("-id")
    )


# --- payment requests ----------------------------------------------------------------------------------------------


def payment_request_clock() -> datetime:
    """The time payment requests are judged by, when reading and when writing (wallet/services/payment_requests.py):
    the one function a test patches to move time."""
    return timezone.now()


def payment_request_status(*, payment_request: PaymentRequest, now: datetime | None = None) -> str:
    """The request's status as every reader sees it: a PENDING one past its expiry is EXPIRED, marked or not."""
    now = now or payment_request_clock()
    if payment_request.status == PaymentRequest.Status.PENDING and now >= payment_request.expires_at:
        return PaymentRequest.Status.EXPIRED
    return payment_request.status


def payment_request_resolved_at(*, payment_request: PaymentRequest, now: datetime | None = None) -> datetime | None:
    if payment_request_status(payment_request=payment_request, now=now) == PaymentRequest.Status.EXPIRED:
        return payment_request.expires_at
    return payment_request.resolved_at


def payment_requests_for_user(
    *, user: User, role: str, status: str | None = None, now: datetime | None = None
) -> QuerySet[PaymentRequest]:
    """Newest first: the requests addressed to the user (role INCOMING) or made by them (OUTGOING), by the status
    readers see (see payment_request_status). A page is a range scan of the (payer or requester, -id) index."""
    queryset = PaymentRequest.objects.filter(**{"payer" if role == "INCOMING" else "requester": user})
    now = now or payment_request_clock()
    if status == PaymentRequest.Status.PENDING:
        queryset = queryset.filter(status=status, expires_at__gt=now)
    elif status == PaymentRequest.Status.EXPIRED:
        queryset = queryset.filter(Q(status=status) | Q(status=PaymentRequest.Status.PENDING, expires_at__lte=now))
    elif status is not None:
        queryset = queryset.filter(status=status)
    return queryset.select_related("requester", "payer").order_by("-id")


def payment_request_for_user(*, user: User, payment_request_id: int) -> PaymentRequest | None:
    """A request the user made or was asked to pay; anyone else's looks like a missing one."""
    return (
        PaymentRequest.objects.filter(Q(payer=user) | Q(requester=user), pk=payment_request_id)
        .select_related("requester", "payer")
        .first()
    )


@dataclass(frozen=True)
class PeriodUse:
    limit: Decimal
    used: Decimal
    remaining: Decimal
    resets_at: datetime


@dataclass(frozen=True)
class WalletLimits:
    """What a wallet may still do, by the same rules the engine applies (an override wins over the tier's limit;
    None is no limit)."""

    tier: str
    daily: PeriodUse | None
    monthly: PeriodUse | None
    max_balance: Decimal | None
    per_transaction: Decimal | None


def wallet_limits(*, wallet: Wallet, now: datetime | None = None) -> WalletLimits:
    now = now or timezone.now()
    today = timezone.localdate(now)
    month_start = today.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    tier = wallet.tier  # one query unless the caller selected it

    def chosen(override, tier_limit):
        return override if override is not None else tier_limit

    def period(limit, used, resets_on) -> PeriodUse | None:
        if limit is None:
            return None
        resets_at = timezone.make_aware(datetime.combine(resets_on, time.min))
        return PeriodUse(limit=limit, used=used, remaining=max(limit - used, zero()), resets_at=resets_at)

    spent_month = wallet.spent_this_month if wallet.spent_month == month_start else zero()
    spent_today = wallet.spent_today if wallet.spent_on == today else zero()
    return WalletLimits(
        tier=tier.code,
        # The wallet's daily_transfer_limit is its effective daily limit (wallet/services/controls.py).
        daily=period(wallet.daily_transfer_limit, spent_today, today + timedelta(days=1)),
        monthly=period(chosen(wallet.monthly_limit_override, tier.monthly_limit), spent_month, next_month),
        max_balance=chosen(wallet.max_balance_override, tier.max_balance),
        per_transaction=chosen(wallet.per_transaction_override, tier.per_transaction_max),
    )


def wallet_active_freezes(*, wallet: Wallet) -> QuerySet:
    return WalletFreeze.objects.filter(wallet=wallet, lifted_at__isnull=True).order_by("id")
