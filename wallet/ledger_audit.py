"""Recomputes the ledger from its entries: the check behind `manage.py verify_ledger` and the tests.

Besides the sums, it recomputes every wallet's hash chain (wallet/ledger_chain.py), which catches edits
made directly in the database that keep every sum consistent."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Count, F, Q, Sum, Value, When, Window
from django.db.models.functions import Coalesce
from django.utils import timezone

from wallet import selectors
from wallet.fields import MoneyField
from wallet.ledger_chain import chain_problems
from wallet.models import LedgerEntry, Transaction, Wallet
from wallet.money import zero


@dataclass
class LedgerReport:
    wallet_count: int = 0
    transaction_count: int = 0
    entry_count: int = 0
    ledger_sum: Decimal = field(default_factory=zero)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_ledger(*, max_problems_per_check: int = 100) -> LedgerReport:
    report = LedgerReport()
    nothing = zero()
    limit = max_problems_per_check

    posted = Sum("entries__delta", filter=Q(entries__pending=False))
    pending = Sum("entries__delta", filter=Q(entries__pending=True))
    wallets = Wallet.objects.annotate(
        posted_sum=Coalesce(posted, Value(0), output_field=MoneyField()),
        pending_sum=Coalesce(pending, Value(0), output_field=MoneyField()),
    ).filter(
        ~Q(balance=F("posted_sum"))
        | Q(kind=Wallet.Kind.CUSTOMER, posted_sum__lt=0)
        | Q(kind=Wallet.Kind.CUSTOMER, held__lt=0)
        | (Q(kind=Wallet.Kind.CUSTOMER) & ~Q(held=-F("pending_sum")))
    )
    for wallet in wallets.order_by("id")[:limit]:
        report.problems.append(
            f"wallet {wallet.pk} ({wallet.kind}): cached balance {wallet.balance}, sum of posted entries "
            f"{wallet.posted_sum}; held {wallet.held}, pending entries {wallet.pending_sum}"
        )

    # Each entry's balance_after must be the running sum of its wallet's posted deltas.
    posted_delta = Case(When(pending=False, then=F("delta")), default=Value(0), output_field=MoneyField())
    running = LedgerEntry.objects.annotate(
        running_balance=Window(Sum(posted_delta), partition_by=[F("wallet_id")], order_by=F("id").asc())
    )
    for entry in running.filter(~Q(running_balance=F("balance_after"))).order_by("id")[:limit]:
        report.problems.append(
            f"entry {entry.pk} (wallet {entry.wallet_id}): balance_after {entry.balance_after}, "
            f"running sum {entry.running_balance}"
        )

    # The daily-limit counters must match today's outgoing movements.
    sent_today = dict(
        selectors.outgoing_since(since=selectors.start_of_today())
        .values("sender_wallet_id")
        .annotate(total=Sum("amount"))
        .values_list("sender_wallet_id", "total")
    )
    for wallet in Wallet.objects.filter(Q(pk__in=sent_today.keys()) | Q(spent_on=timezone.localdate())):
        counted, recorded = selectors.transferred_today(wallet=wallet), sent_today.get(wallet.pk, nothing)
        if counted != recorded:
            report.problems.append(f"wallet {wallet.pk}: counts {counted} sent today, its transactions say {recorded}")

    # Each layer (posted, pending) of a transaction sums to zero on its own.
    unbalanced = Transaction.objects.annotate(
        posted_sum=Coalesce(
            Sum("entries__delta", filter=Q(entries__pending=False)), Value(0), output_field=MoneyField()
        ),
        pending_sum=Coalesce(
            Sum("entries__delta", filter=Q(entries__pending=True)), Value(0), output_field=MoneyField()
        ),
        entry_count=Count("entries"),
    ).filter(
        Q(status__in=[Transaction.Status.SUCCESS, Transaction.Status.PENDING], entry_count__lt=2)
        | Q(status=Transaction.Status.FAILED, entry_count__gt=0)
        | ~Q(posted_sum=0)
        | ~Q(pending_sum=0)
    )
    for txn in unbalanced.order_by("id")[:limit]:
        report.problems.append(
            f"transaction {txn.pk} ({txn.status}): {txn.entry_count} entries; posted layer sums to "
            f"{txn.posted_sum}, pending layer to {txn.pending_sum}"
        )

    # Each wallet's hash chain: an entry edited, deleted, inserted or moved in the database breaks it there.
    report.problems += chain_problems(limit=limit)

    report.wallet_count = Wallet.objects.count()
    report.transaction_count = Transaction.objects.count()
    report.entry_count = LedgerEntry.objects.count()
    total = LedgerEntry.objects.aggregate(total=Sum("delta"))["total"]
    report.ledger_sum = total if total is not None else nothing
    if report.ledger_sum != 0:
        report.problems.append(f"the whole ledger sums to {report.ledger_sum}, not 0")
    return report
