from decimal import Decimal

import pytest

from wallet.models import LedgerEntry, OutboxEvent, Transaction, Wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(make_user, fund):
    alice = make_user("alice")
    fund(alice, "10.00")
    return Transaction.objects.get()


@pytest.mark.parametrize("model", [Wallet, Transaction, LedgerEntry, OutboxEvent])
def test_staff_can_browse_every_ledger_view(admin_client, ledger, model):
    opts = model._meta
    changelist = admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
    detail = admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/{model.objects.first().pk}/change/")

    assert changelist.status_code == 200 and detail.status_code == 200


@pytest.mark.parametrize("model", [Transaction, LedgerEntry, OutboxEvent])
def test_ledger_views_are_read_only(admin_client, ledger, model):
    opts = model._meta
    row = model.objects.first()

    assert admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/add/").status_code == 403
    assert (
        admin_client.post(f"/admin/{opts.app_label}/{opts.model_name}/{row.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert model.objects.filter(pk=row.pk).exists()


def test_staff_can_change_a_wallets_daily_limit_but_not_its_balance(admin_client, ledger):
    wallet = Wallet.objects.get(kind="CUSTOMER")

    response = admin_client.post(
        f"/admin/wallet/wallet/{wallet.pk}/change/", {"daily_transfer_limit": "250.00", "balance": "999999.00"}
    )

    assert response.status_code == 302
    wallet.refresh_from_db()
    assert (wallet.daily_transfer_limit, wallet.balance) == (Decimal("250.00"), Decimal("10.00"))
    # Audited like the staff API's staffSetWalletLimits.
    from wallet.models import StaffAuditRecord

    record = StaffAuditRecord.objects.get(target_wallet=wallet)
    assert (record.action, record.source) == ("SET_WALLET_LIMITS", "ADMIN")
    assert record.after["daily_limit_override"] == "250.00", record.after


def test_saving_a_wallet_in_the_admin_keeps_a_movement_made_during_the_save(admin_client, ledger, fund):
    from unittest import mock

    from wallet.admin import WalletAdmin
    from wallet.ledger_audit import audit_ledger

    wallet = Wallet.objects.get(kind="CUSTOMER")
    save_form = WalletAdmin.save_form

    def money_arrives_meanwhile(self, request, form, change):
        fund(wallet.user, "5.00")  # after the admin loaded the wallet, before it saves
        return save_form(self, request, form, change)

    with mock.patch.object(WalletAdmin, "save_form", money_arrives_meanwhile):
        response = admin_client.post(f"/admin/wallet/wallet/{wallet.pk}/change/", {"daily_transfer_limit": "300.00"})

    assert response.status_code == 302
    wallet.refresh_from_db()
    assert (wallet.daily_transfer_limit, wallet.balance) == (Decimal("300.00"), Decimal("15.00"))
    assert audit_ledger().ok


def test_staff_without_the_limits_permission_cannot_change_the_daily_limit(client, make_user, ledger):
    from django.contrib.auth.models import Permission

    from wallet.models import StaffAuditRecord

    clerk = make_user("clerk")
    clerk.is_staff = True
    clerk.save(update_fields=["is_staff"])
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_wallet", "change_wallet"]))
    client.force_login(clerk)
    wallet = Wallet.objects.get(kind="CUSTOMER", user__username="alice")
    before = wallet.daily_transfer_limit

    client.post(f"/admin/wallet/wallet/{wallet.pk}/change/", {"daily_transfer_limit": "1.00"})

    wallet.refresh_from_db()
    assert wallet.daily_transfer_limit == before
    assert not StaffAuditRecord.objects.filter(target_wallet=wallet).exists()
