"""Renders a participant's receipt as PDF (reportlab)."""

from io import BytesIO

from django.utils import timezone
from reportlab.lib.pagesizes import A5
from reportlab.pdfgen import canvas

from wallet.models import LedgerEntry, Receipt, Transaction

SYSTEM_PARTIES = {"FUNDING": "Top-up", "PAYOUTS": "Payout", "HOLDS": "Held funds"}


def _party(wallet) -> str:
    if wallet is None:
        return "-"
    return wallet.user.username if wallet.user_id else SYSTEM_PARTIES.get(wallet.kind, wallet.kind)


def render(receipt: Receipt) -> bytes:
    txn: Transaction = receipt.transaction
    entry = LedgerEntry.objects.filter(transaction=txn, wallet=receipt.wallet, pending=False).order_by("-id").first()
    lines = [
        ("Transaction", f"#{txn.pk}"),
        ("Kind", txn.get_kind_display()),
        ("Amount", f"{txn.amount} {txn.currency}"),
        ("From", _party(txn.sender_wallet)),
        ("To", _party(txn.receiver_wallet)),
        ("Time", timezone.localtime(txn.created_at).strftime("%Y-%m-%d %H:%M:%S %Z")),
        ("Your balance after", f"{entry.balance_after} {txn.currency}" if entry else "-"),
        ("Verification code", receipt.verification_code),
    ]
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A5)
    pdf.setTitle(f"Receipt for transaction {txn.pk}")
    width, height = A5
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(40, height - 60, "Wallet receipt")
    pdf.setFont("Helvetica", 11)
    for row, (label, value) in enumerate(lines):
        y = height - 100 - row * 22
        pdf.drawString(40, y, f"{label}:")
        pdf.drawString(170, y, value)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
