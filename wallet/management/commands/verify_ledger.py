from django.core.management.base import BaseCommand, CommandError

from wallet.ledger_audit import audit_ledger


class Command(BaseCommand):
    help = (
        "Recomputes every balance from the ledger, checks that it balances and that every wallet's hash chain is "
        "whole (naming the first broken entry); exits non-zero on any mismatch."
    )

    def handle(self, *args, **options):
        report = audit_ledger()
        self.stdout.write(
            f"wallets: {report.wallet_count}  transactions: {report.transaction_count}  "
            f"entries: {report.entry_count}  ledger sum: {report.ledger_sum}"
        )
        for problem in report.problems:
            self.stderr.write(f"MISMATCH {problem}")
        if report.problems:
            raise CommandError(f"ledger verification failed with {len(report.problems)} problem(s)")
        self.stdout.write(self.style.SUCCESS("ledger OK"))
