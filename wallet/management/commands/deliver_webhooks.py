import signal
import threading

from django.core.management.base import BaseCommand

from wallet.events.webhooks import run_sender


class Command(BaseCommand):
    help = (
        "Sends due webhook deliveries (signed, retried with backoff) until stopped; SIGTERM lets the sends in flight "
        "finish. Run as many as you like: each claims its deliveries under a lease."
    )

    def add_arguments(self, parser):
        parser.add_argument("--poll", type=float, default=0.5, help="seconds between looks for due deliveries")

    def handle(self, *args, poll=0.5, **options):
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        run_sender(stop=stop, poll_seconds=poll)
