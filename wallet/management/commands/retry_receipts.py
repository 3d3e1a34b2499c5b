from django.core.management.base import BaseCommand

from wallet.models import Receipt
from wallet.tasks import generate_receipt


class Command(BaseCommand):
    help = (
        "Queues the generation of every receipt that is not READY (PENDING or FAILED), e.g. once a full disk has "
        "space again. Safe to run at any time: a READY receipt is never rendered again."
    )

    def handle(self, *args, **options):
        queued = 0
        pending = Receipt.objects.exclude(status=Receipt.Status.READY).order_by("id")
        for transaction_id, wallet_id in pending.values_list("transaction_id", "wallet_id").iterator():
            generate_receipt.delay(transaction_id=transaction_id, wallet_id=wallet_id)
            queued += 1
        self.stdout.write(f"queued {queued} receipt(s)")
