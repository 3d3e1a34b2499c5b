from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from wallet import services
from wallet.models import FeeRule, LedgerEntry, OutboxEvent, Tier, Transaction, User, Wallet


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Wallet", {"fields": ("mobile_number",)}))
    list_display = ("username", "mobile_number", "is_active", "is_staff", "date_joined")
    search_fields = ("username", "mobile_number", "email")


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "kind", "currency", "balance", "daily_transfer_limit")
    list_filter = ("kind", "currency")
    search_fields = ("user__username", "user__mobile_number")
    # Only the limit is for staff to change; the balance moves through the ledger service alone.
    fields = ("user", "kind", "currency", "balance", "daily_transfer_limit", "created_at")
    readonly_fields = ("user", "kind", "currency", "balance", "created_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # obj.save() would write back the balance as the form loaded it, undoing any movement made since.
        services.wallet_set_daily_limit(wallet=obj, limit=obj.daily_transfer_limit)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledger rows are append-only: the admin shows them and changes nothing."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ("wallet", "delta", "balance_after", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "status", "amount", "currency", "initiator", "failure_code", "created_at")
    list_filter = ("kind", "status", "failure_code")
    search_fields = ("initiator__username", "idempotency_key")
    list_select_related = ("initiator",)
    inlines = [LedgerEntryInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("id", "transaction", "wallet", "delta", "balance_after", "created_at")
    list_select_related = ("transaction", "wallet__user")
    search_fields = ("wallet__user__username",)


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "event_type", "transaction", "created_at", "published_at")
    list_filter = ("event_type",)


# Tiers and fee rules are configuration: the engine reads them under the wallets' locks, at each movement.
@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ("code", "daily_limit", "monthly_limit", "max_balance", "per_transaction_max")

    def has_delete_permission(self, request, obj=None):
        return False  # wallets refer to their tier


@admin.register(FeeRule)
class FeeRuleAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "tier", "percent", "fixed", "minimum", "maximum", "active")
    list_filter = ("kind", "tier", "active")
