from decimal import Decimal

from django.core.management.base import BaseCommand

from wallet.models import User
from wallet.services import money_add, transfer_create, user_register

DEMO_PASSWORD = "wallet-demo-2026"
DEMO_USERS = [
    ("alice", "+14155550101", Decimal("500.00")),
    ("bob", "+14155550102", Decimal("250.00")),
    ("carol", "+14155550103", Decimal("100.00")),
]


class Command(BaseCommand):
    help = "Creates demo users with money (idempotent: safe to run again)."

    def handle(self, *args, **options):
        users = {}
        for username, mobile, top_up in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = user_register(username=username, password=DEMO_PASSWORD, mobile_number=mobile)
            users[username] = user
            # Fixed idempotency keys make a second run a replay, not a second top-up.
            money_add(user=user, amount=top_up, idempotency_key="seed-demo-top-up")
        transfer_create(
            sender=users["alice"],
            receiver_username="bob",
            amount=Decimal("25.00"),
            idempotency_key="seed-demo-transfer",
            note="Dinner",
        )
        names = ", ".join(name for name, _, _ in DEMO_USERS)
        self.stdout.write(self.style.SUCCESS(f"Demo users {names} ready; password: {DEMO_PASSWORD}"))
