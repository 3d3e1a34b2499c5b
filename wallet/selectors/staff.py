"""Reads of the staff API (schema/staff.py). Only staff with wallet.view_staff_audit reach them."""

from django.db.models import QuerySet

from wallet.models import StaffAuditRecord, User


def staff_audit_records(
    *,
    actor_username: str | None = None,
    target_wallet_id: int | None = None,
    unknown_wallet: bool = False,
    action: str | None = None,
) -> QuerySet[StaffAuditRecord]:
    """The audit trail, newest first (keyset on id: each filter has its (column, -id) index, migration 0023)."""
    records = StaffAuditRecord.objects.select_related("actor").order_by("-id")
    if unknown_wallet:  # an ID that names no wallet matches no record
        return records.none()
    if actor_username is not None:
        records = records.filter(actor__in=User.objects.with_username(actor_username))
    if target_wallet_id is not None:
        records = records.filter(target_wallet_id=target_wallet_id)
    if action is not None:
        records = records.filter(action=action)
    return records
