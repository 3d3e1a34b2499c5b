import time

from django.core.management.base import BaseCommand

from wallet.events.relay import relay_batch, relay_until_drained
from wallet.events.transports import configured_transport


class Command(BaseCommand):
    help = "Publishes outbox events (at least once, in id order). --once drains and exits."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="drain the outbox and exit")
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument("--idle-sleep", type=float, default=0.2, help="seconds to wait when nothing is left")

    def handle(self, *args, once=False, batch=500, idle_sleep=0.2, **options):
        transport = configured_transport()
        if once:
            self.stdout.write(f"published {relay_until_drained(transport=transport, batch_size=batch)} event(s)")
            return
        while True:
            if not relay_batch(transport=transport, batch_size=batch):
                time.sleep(idle_sleep)
