"""Statements: signed download links, the verification code, and the CSV and PDF files, streamed.

A download reads the statement's figures and its rows in one REPEATABLE READ transaction, so the file's opening,
totals and closing agree with its rows even while the wallet keeps moving; the rows come through a server-side
cursor a chunk at a time, so memory does not grow with the period."""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils.crypto import constant_time_compare, salted_hmac

from wallet.models import User
from wallet.selectors.statements import StatementSummary, statement_rows, statement_summary
from wallet.signed_links import link_claims, link_token
from wallet.statement_pdf import render_statement_pdf

LINK_SALT = "wallet.statement"
CODE_SALT = "wallet.statement.verification"
CSV_HEADER = ("time", "transaction_id", "kind", "counterparty", "note", "reference", "in", "out", "balance_after")


@dataclass(frozen=True)
class StatementPeriod:
    user: User
    period_from: datetime
    period_to: datetime


def statement_link_token(*, user: User, period_from: datetime, period_to: datetime) -> str:
    """A token naming one user's statement of one period; valid for STATEMENT_LINK_SECONDS."""
    claims = {"u": user.pk, "f": period_from.isoformat(), "t": period_to.isoformat()}
    return link_token(salt=LINK_SALT, claims=claims)


def statement_for_token(token: str) -> StatementPeriod | None:
    """The user and period a link names; None when it is tampered with, expired, or its user is gone."""
    claims = link_claims(token, salt=LINK_SALT, max_age_seconds=settings.STATEMENT_LINK_SECONDS)
    if claims is None:
        return None
    user = User.objects.filter(pk=claims["u"], is_active=True).select_related("wallet").first()
    if user is None or not hasattr(user, "wallet"):
        return None
    return StatementPeriod(
        user=user,
        period_from=datetime.fromisoformat(claims["f"]),
        period_to=datetime.fromisoformat(claims["t"]),
    )


def statement_verification_code(summary: StatementSummary) -> str:
    """An HMAC (keyed by SECRET_KEY) over who, which period, both balances, the count and the last entry's hash:
    a statement whose numbers were edited no longer matches. `statement_code_valid` checks one."""
    facts = "|".join(
        (
            str(summary.user_id),
            summary.period_from.astimezone(UTC).isoformat(),
            summary.period_to.astimezone(UTC).isoformat(),
            str(summary.opening),
            str(summary.closing),
            str(summary.count),
            summary.last_entry_hash,
        )
    )
    digest = salted_hmac(CODE_SALT, facts, algorithm="sha256").hexdigest()[:20].upper()
    return "-".join(digest[i : i + 5] for i in range(0, 20, 5))


def statement_code_valid(*, user: User, period_from: datetime, period_to: datetime, code: str) -> bool:
    """Whether `code` is the verification code of this user's statement of this period, recomputed from the ledger."""
    summary = statement_summary(user=user, period_from=period_from, period_to=period_to)
    return constant_time_compare(statement_verification_code(summary), code.strip().upper())


def _snapshot() -> None:
    # First statement of the transaction: the figures and the rows read one snapshot.
    with connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


class _Line:
    """csv.writer's file: hands back the line it was given."""

    def write(self, line: str) -> str:
        return line


def statement_csv(period: StatementPeriod, *, chunk_size: int = 2000) -> Iterator[bytes]:
    """The statement as CSV: a header row, then one row per posted entry, oldest first."""
    writer = csv.writer(_Line())
    with transaction.atomic():
        _snapshot()
        summary = statement_summary(user=period.user, period_from=period.period_from, period_to=period.period_to)
        yield writer.writerow(CSV_HEADER).encode()
        lines: list[str] = []
        for row in statement_rows(
            user=period.user,
            period_from=period.period_from,
            period_to=period.period_to,
            opening=summary.opening,
            chunk_size=chunk_size,
        ):
            lines.append(
                writer.writerow(
                    (
                        row.created_at.isoformat(),
                        row.transaction_id,
                        row.kind,
                        row.counterparty,
                        _safe_cell(row.note),
                        _safe_cell(row.reference),
                        row.amount if row.amount > 0 else "",
                        -row.amount if row.amount < 0 else "",
                        row.balance_after,
                    )
                )
            )
            if len(lines) >= 200:  # a few kilobytes per chunk, not one write per row
                yield "".join(lines).encode()
                lines = []
        if lines:
            yield "".join(lines).encode()


def _safe_cell(value: str) -> str:
    # A note is the payer's free text: a leading =, +, - or @ would make a spreadsheet run it as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def statement_pdf(period: StatementPeriod, *, chunk_size: int = 2000) -> Iterator[bytes]:
    """The statement as PDF, written and sent a page at a time (wallet/statement_pdf.py)."""
    with transaction.atomic():
        _snapshot()
        summary = statement_summary(user=period.user, period_from=period.period_from, period_to=period.period_to)
        rows = statement_rows(
            user=period.user,
            period_from=period.period_from,
            period_to=period.period_to,
            opening=summary.opening,
            chunk_size=chunk_size,
        )
        yield from render_statement_pdf(
            summary=summary,
            username=period.user.username,
            verification_code=statement_verification_code(summary),
            rows=rows,
        )
