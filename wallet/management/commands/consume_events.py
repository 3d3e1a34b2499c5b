from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from wallet.events.handlers import CONSUMERS
from wallet.events.stream_consumer import consume_streams


class Command(BaseCommand):
    help = (
        "Runs an event consumer on the Redis streams: receipts (queue a PDF receipt per payment), realtime "
        "(push to walletEvents subscribers) or webhooks (queue deliveries for deliver_webhooks to send)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--consumer", choices=sorted(CONSUMERS), default="receipts")
        parser.add_argument("--once", action="store_true", help="handle what is there and exit")

    def handle(self, *args, consumer="receipts", once=False, **options):
        if not settings.REDIS_URL:
            raise CommandError("consume_events reads the Redis streams: set REDIS_URL")
        handled = consume_streams(url=settings.REDIS_URL, group=consumer, handler=CONSUMERS[consumer], once=once)
        self.stdout.write(f"{consumer}: handled {handled} event(s)")
