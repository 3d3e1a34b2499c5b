from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from wallet.events.relay import prune_published


class Command(BaseCommand):
    help = "Deletes outbox events published more than EVENT_RETENTION_DAYS (or --days) ago."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=float, default=None)

    def handle(self, *args, days=None, **options):
        retention = timedelta(days=settings.EVENT_RETENTION_DAYS if days is None else days)
        self.stdout.write(f"pruned {prune_published(older_than=retention)} published event(s)")
