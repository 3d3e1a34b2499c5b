from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WalletConfig(AppConfig):
    name = "wallet"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        post_migrate.connect(_ensure_default_tiers, sender=self)


def _ensure_default_tiers(sender, using="default", apps=None, **kwargs):
    # Every wallet has a tier (BASIC by default, a foreign key), so the seeded tiers must exist. Migration 0022
    # seeds them; a flush (the tests' reset between transactional tests) empties the table and then sends
    # post_migrate, like Django's own content types and permissions. Not when migrated back before 0022.
    from wallet.services.controls import tiers_ensure_defaults

    try:
        tier_model = apps.get_model("wallet", "Tier") if apps is not None else None
    except LookupError:
        return
    tiers_ensure_defaults(using=using, tier_model=tier_model)
