import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from wallet.services.scheduler import scheduler_pass


class Command(BaseCommand):
    help = (
        "The scheduler: each pass releases expired holds and runs due standing-order occurrences "
        "(wallet/services/scheduler.py). --every N repeats the pass every N seconds until stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=None, help="seconds between passes; omit to run once")

    def handle(self, *args, every=None, **options):
        while True:
            outcomes = scheduler_pass(now=timezone.now())
            for outcome in outcomes:
                what = f"failed: {outcome.error!r}" if outcome.error is not None else outcome.result
                self.stdout.write(f"{outcome.name}: {what}")
            if every is None:
                if any(outcome.error is not None for outcome in outcomes):
                    raise CommandError("a scheduler step failed")
                return
            time.sleep(every)
