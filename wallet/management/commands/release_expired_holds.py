import time

from django.core.management.base import BaseCommand

from wallet.services import holds_release_expired


class Command(BaseCommand):
    help = "Releases expired holds (the periodic task). --every N repeats it every N seconds until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=None, help="seconds between runs; omit to run once")

    def handle(self, *args, every=None, **options):
        while True:
            released = holds_release_expired()
            self.stdout.write(f"released {released} expired hold(s)")
            if every is None:
                return
            time.sleep(every)
