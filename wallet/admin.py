import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.template.response import TemplateResponse

from wallet.errors import ErrorCode, ValidationFailed, WalletError
from wallet.models import (
    FeeRule,
    LedgerEntry,
    OutboxEvent,
    StaffAuditRecord,
    Tier,
    Transaction,
    User,
    Wallet,
    WalletFreeze,
)
from wallet.services import staff as staff_services
from wallet.services.staff import REASON_MAX_LENGTH, REASON_MIN_LENGTH


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Wallet", {"fields": ("mobile_number",)}))
    list_display = ("username", "mobile_number", "is_active", "is_staff", "date_joined")
    search_fields = ("username", "mobile_number", "email")


class StaffActionForm(forms.Form):
    """What every staff admin action asks first: why (kept in the audit trail). The idempotency key is made when
    the page is shown, so submitting the same page twice replays the first submission instead of acting again."""

    reason = forms.CharField(
        min_length=REASON_MIN_LENGTH, max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput)


def staff_admin_action(modeladmin, request, queryset, *, title: str, form_class=StaffActionForm, run):
    """An admin action with an intermediate page (Django's "actions that provide intermediate pages"): the first
    post shows the form; the second, with `apply`, runs `run(obj, form.cleaned_data, key)` for each selected object
    through the staff services, which write the same audit records as the staff API (source ADMIN)."""
    form = form_class(request.POST if "apply" in request.POST else None, initial={"idempotency_key": uuid.uuid4().hex})
    if "apply" in request.POST and form.is_valid():
        done = 0
        for obj in queryset.order_by("pk"):
            # One key per object: the page's key and the object's id.
            key = f"admin-{form.cleaned_data['idempotency_key']}-{obj.pk}"
            try:
                outcome = run(obj, form.cleaned_data, key)
            except (WalletError, ValidationFailed) as exc:
                modeladmin.message_user(request, f"{obj}: {exc}", messages.ERROR)
                continue
            if outcome.error is not None:
                modeladmin.message_user(request, f"{obj}: {outcome.error.message}", messages.WARNING)
            done += 1
        modeladmin.message_user(request, f"{title}: done for {done} of {queryset.count()}.", messages.INFO)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "queryset": queryset,
        "action": request.POST.get("action"),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    }
    return TemplateResponse(request, "admin/wallet/staff_action.html", context)


class StaffReversalForm(StaffActionForm):
    amount = forms.DecimalField(required=False, min_value=0, help_text="Leave empty to return all that is left.")


class FreezeForm(StaffActionForm):
    scope = forms.ChoiceField(choices=WalletFreeze.Scope.choices)
    reason_code = forms.ChoiceField(choices=WalletFreeze.Reason.choices)
    note = forms.CharField(required=False, max_length=500, help_text="Shown to the owner with the freeze.")


class TierForm(StaffActionForm):
    tier = forms.ModelChoiceField(queryset=Tier.objects.order_by("code"))


@admin.register(Wallet)
class WalletAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "kind", "currency", "balance", "tier", "frozen_scope", "daily_transfer_limit")
    list_filter = ("kind", "currency")
    search_fields = ("user__username", "user__mobile_number")
    # Only the limit is for staff to change; the balance moves through the ledger service alone.
    fields = ("user", "kind", "currency", "balance", "daily_transfer_limit", "created_at")
    readonly_fields = ("user", "kind", "currency", "balance", "created_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # The daily limit is a limit override, so it needs the same permission as staffSetWalletLimits.
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.has_perm("wallet.set_wallet_tier") else (*fields, "daily_transfer_limit")

    def save_model(self, request, obj, form, change):
        # obj.save() would write back the balance as the form loaded it, undoing any movement made since. The limit
        # is a staff action like any other, so it goes through the audited path (the daily override), when it changed.
        if "daily_transfer_limit" not in form.changed_data:
            return
        staff_services.staff_wallet_set_limits(
            actor=request.user,
            wallet_id=obj.pk,
            overrides={"daily": obj.daily_transfer_limit},
            reason="Daily limit changed in the Django admin's wallet form",
            idempotency_key=f"admin-form:{uuid.uuid4()}",
            source=StaffAuditRecord.Source.ADMIN,
        )

    actions = ["freeze", "unfreeze", "set_tier"]

    def has_freeze_wallet_permission(self, request):
        return request.user.has_perm("wallet.freeze_wallet")

    def has_set_wallet_tier_permission(self, request):
        return request.user.has_perm("wallet.set_wallet_tier")

    @admin.action(description="Freeze (staff)", permissions=["freeze_wallet"])
    def freeze(self, request, queryset):
        return staff_admin_action(
            self,
            request,
            queryset,
            title="Freeze the wallets",
            form_class=FreezeForm,
            run=lambda wallet, data, key: staff_services.staff_wallet_freeze(
                actor=request.user,
                wallet_id=wallet.pk,
                scope=data["scope"],
                reason_code=data["reason_code"],
                note=data["note"],
                reason=data["reason"],
                idempotency_key=key,
                source=StaffAuditRecord.Source.ADMIN,
            ),
        )

    @admin.action(description="Lift every active freeze (staff)", permissions=["freeze_wallet"])
    def unfreeze(self, request, queryset):
        def lift_all(wallet, data, key):
            # One staff action per freeze lifted, each with its own key and record.
            outcome = None
            for freeze in WalletFreeze.objects.filter(wallet=wallet, lifted_at__isnull=True).order_by("pk"):
                outcome = staff_services.staff_wallet_unfreeze(
                    actor=request.user,
                    wallet_id=wallet.pk,
                    freeze_id=freeze.pk,
                    reason=data["reason"],
                    idempotency_key=f"{key}-{freeze.pk}",
                    source=StaffAuditRecord.Source.ADMIN,
                )
            if outcome is None:
                raise WalletError(ErrorCode.FREEZE_NOT_FOUND, "No active freeze to lift.")
            return outcome

        return staff_admin_action(self, request, queryset, title="Lift the wallets' freezes", run=lift_all)

    @admin.action(description="Set the tier (staff)", permissions=["set_wallet_tier"])
    def set_tier(self, request, queryset):
        return staff_admin_action(
            self,
            request,
            queryset,
            title="Set the wallets' tier",
            form_class=TierForm,
            run=lambda wallet, data, key: staff_services.staff_wallet_set_tier(
                actor=request.user,
                wallet_id=wallet.pk,
                tier_code=data["tier"].pk,
                reason=data["reason"],
                idempotency_key=key,
                source=StaffAuditRecord.Source.ADMIN,
            ),
        )


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
    actions = ["reverse_on_behalf", "resend_receipts"]

    def has_reverse_transaction_permission(self, request):
        return request.user.has_perm("wallet.reverse_transaction")

    def has_resend_notification_permission(self, request):
        return request.user.has_perm("wallet.resend_notification")

    @admin.action(description="Reverse on the receiver's behalf (staff)", permissions=["reverse_transaction"])
    def reverse_on_behalf(self, request, queryset):
        return staff_admin_action(
            self,
            request,
            queryset,
            title="Reverse on the receiver's behalf",
            form_class=StaffReversalForm,
            run=lambda txn, data, key: staff_services.staff_transaction_reverse(
                actor=request.user,
                transaction_id=txn.pk,
                amount=data["amount"],
                reason=data["reason"],
                idempotency_key=key,
                source=StaffAuditRecord.Source.ADMIN,
            ),
        )

    @admin.action(description="Resend the receipts (staff)", permissions=["resend_notification"])
    def resend_receipts(self, request, queryset):
        return staff_admin_action(
            self,
            request,
            queryset,
            title="Resend the receipts",
            run=lambda txn, data, key: staff_services.staff_receipt_resend(
                actor=request.user,
                transaction_id=txn.pk,
                reason=data["reason"],
                idempotency_key=key,
                source=StaffAuditRecord.Source.ADMIN,
            ),
        )


@admin.register(StaffAuditRecord)
class StaffAuditRecordAdmin(ReadOnlyAdmin):
    """The staff audit trail, read-only (the database refuses UPDATE and DELETE of it as well)."""

    list_display = ("id", "created_at", "actor", "action", "target_type", "target_id", "target_wallet", "source")
    list_filter = ("action", "source", "target_type", ("actor", admin.RelatedOnlyFieldListFilter), "created_at")
    search_fields = ("actor__username", "reason", "target_id", "request_id", "target_wallet__user__username")
    list_select_related = ("actor", "target_wallet__user")
    date_hierarchy = "created_at"

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("wallet.view_staff_audit") or super().has_view_permission(request, obj)


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
