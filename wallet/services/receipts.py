"""Receipts: made PENDING as a transaction's event is consumed, rendered by a Celery task when their participant
first asks for one (most are never opened), downloaded through a signed link."""

import logging
import secrets

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from wallet.models import LedgerEntry, Receipt, Transaction, Wallet
from wallet.signed_links import link_claims, link_token

# What a person initiates and can want a receipt of; holds and releases are not payments.
RECEIPT_KINDS = (
    Transaction.Kind.ADD_MONEY,
    Transaction.Kind.TRANSFER,
    Transaction.Kind.PAY_BY_MOBILE,
    Transaction.Kind.WITHDRAWAL,
    Transaction.Kind.REVERSAL,
    Transaction.Kind.HOLD_CAPTURE,
)
SIGNING_SALT = "wallet.receipt"

logger = logging.getLogger(__name__)


def receipts_prepare(*, transaction_ids: list[int]) -> list[Receipt]:
    """A PENDING receipt for each customer whose balance a successful payment moved, made as its event is consumed.
    Nothing is rendered: a receipt is rendered when its participant first asks for it (`receipt_request`)."""
    wallets = (
        LedgerEntry.objects.filter(
            transaction_id__in=transaction_ids,
            transaction__status=Transaction.Status.SUCCESS,
            transaction__kind__in=RECEIPT_KINDS,
            pending=False,
            wallet__kind=Wallet.Kind.CUSTOMER,
        )
        .values_list("transaction_id", "wallet_id")
        .distinct()
    )
    receipts = [
        Receipt(transaction_id=txn, wallet_id=wallet, verification_code=secrets.token_hex(8).upper())
        for txn, wallet in wallets
    ]
    Receipt.objects.bulk_create(receipts, ignore_conflicts=True)  # made already by an earlier delivery or an ask
    return list(Receipt.objects.filter(transaction_id__in=transaction_ids).select_related("wallet"))


def receipt_request(*, receipt: Receipt) -> Receipt:
    """Queues the rendering of a PENDING receipt the first time it is asked for; a no-op after that."""
    from wallet.tasks import generate_receipt

    if receipt.status == Receipt.Status.PENDING and receipt.requested_at is None:
        now = timezone.now()
        if Receipt.objects.filter(pk=receipt.pk, requested_at__isnull=True).update(requested_at=now):
            receipt.requested_at = now
            transaction.on_commit(
                lambda: generate_receipt.delay(transaction_id=receipt.transaction_id, wallet_id=receipt.wallet_id),
                robust=True,
            )
    return receipt


def receipt_for_viewer(*, user, txn: Transaction) -> Receipt | None:
    """The viewer's receipt of a transaction they took part in, made if its event has not been consumed yet, and
    queued for rendering the first time it is asked for: PENDING, then READY (or FAILED)."""
    receipt = Receipt.objects.filter(transaction=txn, wallet_id=user.wallet.pk).first()
    if receipt is None:
        receipt = next((r for r in receipts_prepare(transaction_ids=[txn.pk]) if r.wallet_id == user.wallet.pk), None)
    return receipt_request(receipt=receipt) if receipt is not None else None


def receipts_request(*, transaction_id: int) -> list[Receipt]:
    """Every participant's receipt of a transaction, each queued for rendering (as if each had asked)."""
    return [receipt_request(receipt=receipt) for receipt in receipts_prepare(transaction_ids=[transaction_id])]


def receipt_generate(*, transaction_id: int, wallet_id: int) -> Receipt:
    """Renders the receipt once: a second run for the same receipt finds it READY and does nothing.

    The PDF and the READY status are stored by one statement, so a receipt is either READY with its whole PDF or
    has none. When the database refuses the PDF (no space left for it: SQLSTATE 53100, or any other database
    error), nothing of it is stored; the receipt is recorded FAILED on its own, if the database lets us, and the
    error is raised for the task queue to retry."""
    from wallet.receipt_pdf import render

    failure = None
    try:
        with transaction.atomic():
            receipt = (
                Receipt.objects.select_for_update(of=("self",))
                .select_related("transaction__sender_wallet__user", "transaction__receiver_wallet__user", "wallet")
                .get(transaction_id=transaction_id, wallet_id=wallet_id)
            )
            if receipt.status == Receipt.Status.READY:
                return receipt
            try:
                receipt.pdf = render(receipt)
            except Exception as error:  # recorded as FAILED, then raised for the task queue to retry
                failure = error
                receipt.status = Receipt.Status.FAILED
                receipt.save(update_fields=["status"])
            else:
                receipt.status = Receipt.Status.READY
                receipt.generated_at = timezone.now()
                receipt.save(update_fields=["pdf", "status", "generated_at"])
    except DatabaseError:
        _record_failed(transaction_id=transaction_id, wallet_id=wallet_id)
        raise
    if failure is not None:
        raise failure
    return receipt


def _record_failed(*, transaction_id: int, wallet_id: int) -> None:
    """Best effort: the receipt's status says FAILED (never over a READY one a concurrent run made)."""
    try:
        Receipt.objects.filter(transaction_id=transaction_id, wallet_id=wallet_id).exclude(
            status=Receipt.Status.READY
        ).update(status=Receipt.Status.FAILED)
    except DatabaseError:
        logger.warning("could not record receipt (transaction %s, wallet %s) as FAILED", transaction_id, wallet_id)


def receipt_link_token(receipt: Receipt) -> str:
    """A signed token naming one participant's receipt; valid for RECEIPT_URL_MAX_AGE_SECONDS."""
    return link_token(salt=SIGNING_SALT, claims={"t": receipt.transaction_id, "w": receipt.wallet_id})


def receipt_for_token(token: str) -> Receipt | None:
    claims = link_claims(token, salt=SIGNING_SALT, max_age_seconds=settings.RECEIPT_URL_MAX_AGE_SECONDS)
    if claims is None:  # tampered, forged or expired
        return None
    return Receipt.objects.filter(
        transaction_id=claims["t"], wallet_id=claims["w"], status=Receipt.Status.READY
    ).first()


def receipts_requeue(*, transaction_id: int) -> list[Receipt]:
    """Staff's resend (wallet/services/staff.py): every participant's receipt of a transaction, made if missing, with
    its rendering queued again unless it is READY (a rendered receipt is rendered once: its link already works).
    A FAILED one goes back to PENDING, so its participant sees it being made again."""
    from wallet.tasks import generate_receipt

    receipts = receipts_prepare(transaction_ids=[transaction_id])
    now = timezone.now()
    for receipt in receipts:
        if receipt.status == Receipt.Status.READY:
            continue
        Receipt.objects.filter(pk=receipt.pk).exclude(status=Receipt.Status.READY).update(
            status=Receipt.Status.PENDING, requested_at=now
        )
        receipt.status, receipt.requested_at = Receipt.Status.PENDING, now
        transaction.on_commit(
            lambda r=receipt: generate_receipt.delay(transaction_id=r.transaction_id, wallet_id=r.wallet_id),
            robust=True,
        )
    return receipts
