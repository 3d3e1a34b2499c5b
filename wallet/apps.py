from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WalletConfig(AppConfig):
    name = "wallet"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from wallet.sqlite_guards import restore_sqlite_ledger_triggers

        post_migrate.connect(restore_sqlite_ledger_triggers, sender=self)
