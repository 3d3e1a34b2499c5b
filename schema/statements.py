"""Statements of a period and the balance over time, from the ledger (the viewer's own wallet)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated

import strawberry
from django.urls import reverse
from django.utils import timezone
from graphql import GraphQLError
from strawberry.types import Info

from schema.pagination import Connection
from schema.permissions import READS, viewer
from schema.types import LedgerEntryNode
from wallet import selectors
from wallet.models import User
from wallet.selectors.statements import StatementSummary, statement_entries_for_user, statement_summary
from wallet.services.statements import statement_link_token, statement_verification_code

MAX_STATEMENT_DAYS = 366
MAX_HISTORY_DAYS = 366


def _bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def _utc(moment: datetime) -> datetime:
    # A moment without an offset is read in the server's TIME_ZONE, as balanceAt reads it.
    return (moment if timezone.is_aware(moment) else timezone.make_aware(moment)).astimezone(UTC)


@strawberry.type(description="The viewer's posted entries made in [from, to), with the balances at both ends.")
class Statement:
    period_from: datetime = strawberry.field(name="from", description="Inclusive.")
    period_to: datetime = strawberry.field(name="to", description="Exclusive.")
    currency: str
    opening_balance: Decimal = strawberry.field(description="balanceAt(from): posted entries made before `from`.")
    closing_balance: Decimal = strawberry.field(description="balanceAt(to); always opening + totalIn - totalOut.")
    total_in: Decimal
    total_out: Decimal
    count: int = strawberry.field(description="How many posted entries the period has (holds' pending ones aside).")
    verification_code: str = strawberry.field(
        description="Printed on the PDF: an HMAC over the user, the period, both balances, the count and the last "
        "entry's hash-chain hash. Asking for the same statement again gives the same code while the ledger agrees."
    )
    user: strawberry.Private[User]

    @strawberry.field(description="The period's entries, newest first. `first` defaults to 20 and is capped at 100.")
    def entries(self, first: int | None = None, after: str | None = None) -> Connection[LedgerEntryNode]:
        queryset = statement_entries_for_user(user=self.user, period_from=self.period_from, period_to=self.period_to)
        return Connection.page(queryset, first=first, after=after)

    @strawberry.field(description="A signed CSV download link, valid for STATEMENT_LINK_SECONDS (15 minutes).")
    def csv_url(self, info: Info) -> str:
        return self._url(info, "csv")

    @strawberry.field(description="A signed PDF download link, valid for STATEMENT_LINK_SECONDS (15 minutes).")
    def pdf_url(self, info: Info) -> str:
        return self._url(info, "pdf")

    def _url(self, info: Info, file_format: str) -> str:
        token = statement_link_token(user=self.user, period_from=self.period_from, period_to=self.period_to)
        return info.context.request.build_absolute_uri(reverse("statement-download", args=[token, file_format]))

    @classmethod
    def of(cls, summary: StatementSummary, user: User) -> "Statement":
        return cls(
            period_from=summary.period_from,
            period_to=summary.period_to,
            currency=summary.currency,
            opening_balance=summary.opening,
            closing_balance=summary.closing,
            total_in=summary.total_in,
            total_out=summary.total_out,
            count=summary.count,
            verification_code=statement_verification_code(summary),
            user=user,
        )


@strawberry.type(description="The balance at a moment.")
class BalancePoint:
    at: datetime
    balance: Decimal


@strawberry.type
class StatementQueries:
    @strawberry.field(
        permission_classes=READS,
        description="The viewer's statement of [from, to): at most 366 days, from before to.",
    )
    def statement(
        self,
        info: Info,
        period_from: Annotated[datetime, strawberry.argument(name="from")],
        period_to: Annotated[datetime, strawberry.argument(name="to")],
    ) -> Statement:
        period_from, period_to = _utc(period_from), _utc(period_to)
        if period_from >= period_to:
            raise _bad_input("'from' must be before 'to'.")
        if period_to - period_from > timedelta(days=MAX_STATEMENT_DAYS):
            raise _bad_input(f"A statement covers at most {MAX_STATEMENT_DAYS} days.")
        user = viewer(info)
        return Statement.of(statement_summary(user=user, period_from=period_from, period_to=period_to), user)

    @strawberry.field(
        permission_classes=READS,
        description="One point per UTC day for the last `days` days (1 to 366), oldest first: each day's balance at "
        "its end (midnight UTC), and for today the balance now.",
    )
    def balance_history(self, info: Info, days: int) -> list[BalancePoint]:
        if not 1 <= days <= MAX_HISTORY_DAYS:
            raise _bad_input(f"'days' runs from 1 to {MAX_HISTORY_DAYS}.")
        wallet = selectors.wallet_for_user(user=viewer(info))
        return [
            BalancePoint(at=at, balance=balance) for at, balance in selectors.balance_history(wallet=wallet, days=days)
        ]
