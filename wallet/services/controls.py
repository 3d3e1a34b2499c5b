"""Controls on a wallet: freezes, its tier and its per-wallet limit overrides (issue 16).

The engine (`wallet_post`, migration 0022) enforces them under the wallets' locks; these services change them. Each
runs in the caller's transaction if there is one, locks the wallet row first (so it is serialised with the engine:
a movement that locks the wallet after a freeze committed sees it), and returns a `ControlChange` with the state
before and after, which the staff API writes into its audit record.

What the engine reads is kept on the wallet row, so that it costs no query: `frozen_scope` (the union of the active
freezes) and `daily_transfer_limit` (the effective daily limit: the daily override, else the tier's).
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from wallet.errors import ErrorCode, WalletError
from wallet.models import FeeRule, Tier, User, Wallet, WalletFreeze
from wallet.money import from_minor_units, to_minor_units, zero
from wallet.validation import clean_idempotency_key

UNSET = object()  # an override argument not given: left as it is (None clears it)

_OVERRIDES = {
    "daily": "daily_limit_override",
    "monthly": "monthly_limit_override",
    "max_balance": "max_balance_override",
    "per_transaction": "per_transaction_override",
}
MAX_NOTE = 500

# The tiers every installation has (migration 0022 seeds them too). BASIC has today's limits, so nothing changes by
# default: the daily limit of WALLET_DAILY_TRANSFER_LIMIT and no other. Staff may change the rows.
DEFAULT_TIERS = {
    "BASIC": {"monthly_limit": None, "max_balance": None, "per_transaction_max": None},
    "VERIFIED": {
        "daily_limit": Decimal("50000.00"),
        "monthly_limit": Decimal("200000.00"),
        "max_balance": Decimal("500000.00"),
        "per_transaction_max": Decimal("25000.00"),
    },
    "BUSINESS": {
        "daily_limit": Decimal("250000.00"),
        "monthly_limit": Decimal("2000000.00"),
        "max_balance": None,
        "per_transaction_max": Decimal("100000.00"),
    },
}


@dataclass(frozen=True)
class ControlChange:
    before: dict
    after: dict
    wallet: Wallet
    freeze: WalletFreeze | None = None
    # True when an idempotency key replayed an earlier change (nothing changed now).
    replayed: bool = field(default=False)


def tiers_ensure_defaults(*, using: str = "default", tier_model=Tier) -> None:
    """Creates the default tiers that are missing; leaves existing ones as staff set them. `tier_model` is the
    migration state's model when called after migrating."""
    tier_model = tier_model or Tier
    for code, limits in DEFAULT_TIERS.items():
        defaults = {"daily_limit": settings.WALLET_DAILY_TRANSFER_LIMIT, **limits}
        tier_model.objects.using(using).get_or_create(code=code, defaults=defaults)


def fee_rule_for(*, wallet: Wallet, kind: str) -> FeeRule | None:
    """The rule the engine applies: the active one of the payer's tier, else the active one for every tier, the
    lowest id first."""
    rules = FeeRule.objects.filter(Q(tier_id=wallet.tier_id) | Q(tier__isnull=True), kind=kind, active=True)
    return rules.order_by(F("tier").asc(nulls_last=True), "id").first()


def fee_of(*, rule: FeeRule | None, kind: str, amount: Decimal) -> Decimal:
    """The engine's fee formula (migration 0022, step 4), in the same integer minor units: round half up (away from
    zero) of amount × percent / 100 to a whole minor unit, plus fixed, clamped to [minimum, maximum]; a top-up's
    fee less than its amount. Exact: Decimal and PostgreSQL's numeric both compute the product without loss."""
    if rule is None:
        return zero()
    minor = to_minor_units(amount)
    fee = int((Decimal(minor) * rule.percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    fee += to_minor_units(rule.fixed)
    if rule.minimum is not None:
        fee = max(fee, to_minor_units(rule.minimum))
    if rule.maximum is not None:
        fee = min(fee, to_minor_units(rule.maximum))
    if kind == FeeRule.Kind.ADD_MONEY:
        fee = min(fee, minor - 1)  # it comes out of the amount, which still credits one minor unit
    return from_minor_units(fee)


def fee_quote(*, user: User, kind: str, amount: Decimal) -> Decimal:
    """The fee the engine would charge `user` for a movement of `kind` and `amount` now (rules can change before
    the movement is made; the engine charges the rule in force then)."""
    wallet = Wallet.objects.only("id", "tier_id").get(user=user)
    return fee_of(rule=fee_rule_for(wallet=wallet, kind=kind), kind=kind, amount=amount)


def frozen_scope_of(scopes) -> str:
    """The union of freeze scopes: '' (none), DEBITS, CREDITS or ALL."""
    scopes = set(scopes)
    if WalletFreeze.Scope.ALL in scopes or {WalletFreeze.Scope.DEBITS, WalletFreeze.Scope.CREDITS} <= scopes:
        return WalletFreeze.Scope.ALL
    return next(iter(scopes), "")


def wallet_freeze(
    *, wallet: Wallet, scope: str, reason_code: str, note: str, by: User, as_staff: bool, idempotency_key: str = ""
) -> ControlChange:
    if scope not in WalletFreeze.Scope.values:
        raise WalletError(ErrorCode.INVALID_INPUT, "Freeze DEBITS, CREDITS or ALL.", field="scope")
    if reason_code not in WalletFreeze.Reason.values:
        raise WalletError(ErrorCode.INVALID_INPUT, "Give one of the freeze reason codes.", field="reason_code")
    note = (note or "").strip()
    if len(note) > MAX_NOTE or not note.isprintable():
        raise WalletError(ErrorCode.INVALID_INPUT, f"A note is at most {MAX_NOTE} printable characters.", field="note")
    if idempotency_key:
        idempotency_key = clean_idempotency_key(idempotency_key)
    with transaction.atomic():
        locked = _locked(wallet)
        if locked.kind != Wallet.Kind.CUSTOMER:
            raise WalletError(ErrorCode.INVALID_INPUT, "System accounts are never frozen.", field="wallet")
        if idempotency_key:
            earlier = WalletFreeze.objects.filter(set_by=by, idempotency_key=idempotency_key).first()
            if earlier is not None:
                if (earlier.wallet_id, earlier.scope, earlier.reason_code, earlier.note) != (
                    locked.pk,
                    scope,
                    reason_code,
                    note,
                ):
                    raise WalletError(
                        ErrorCode.IDEMPOTENCY_KEY_REUSED,
                        "This idempotency key was already used for a different request; use a new key.",
                        field="idempotency_key",
                    )
                state = _state(locked)
                return ControlChange(before=state, after=state, wallet=locked, freeze=earlier, replayed=True)
        before = _state(locked)
        freeze = WalletFreeze.objects.create(
            wallet=locked,
            scope=scope,
            reason_code=reason_code,
            note=note,
            set_by=by,
            set_by_staff=as_staff,
            idempotency_key=idempotency_key,
        )
        _refresh_frozen_scope(locked)
        return ControlChange(before=before, after=_state(locked), wallet=locked, freeze=freeze)


def wallet_unfreeze(*, wallet: Wallet, freeze_id: int | None, by: User, as_staff: bool) -> ControlChange:
    """Lifts one active freeze. The owner lifts only a freeze they set themselves; staff lift any. Lifting a freeze
    the same person already lifted answers as the first time did (so a retry is harmless)."""
    with transaction.atomic():
        locked = _locked(wallet)
        freeze = WalletFreeze.objects.filter(pk=freeze_id, wallet=locked).first() if freeze_id is not None else None
        if freeze is None or not (as_staff or (not freeze.set_by_staff and freeze.set_by_id == by.pk)):
            raise WalletError(ErrorCode.FREEZE_NOT_FOUND, "No freeze of yours to lift has this id.", field="freeze_id")
        if freeze.lifted_at is not None:
            if freeze.lifted_by_id != by.pk:
                raise WalletError(ErrorCode.FREEZE_NOT_FOUND, "This freeze was already lifted.", field="freeze_id")
            state = _state(locked)
            return ControlChange(before=state, after=state, wallet=locked, freeze=freeze, replayed=True)
        before = _state(locked)
        freeze.lifted_at = timezone.now()
        freeze.lifted_by = by
        freeze.save(update_fields=["lifted_at", "lifted_by"])
        _refresh_frozen_scope(locked)
        return ControlChange(before=before, after=_state(locked), wallet=locked, freeze=freeze)


def wallet_set_tier(*, wallet: Wallet, tier_code: str, by: User) -> ControlChange:
    with transaction.atomic():
        locked = _locked(wallet)
        tier = Tier.objects.filter(pk=tier_code).first()
        if tier is None or locked.kind != Wallet.Kind.CUSTOMER:
            raise WalletError(ErrorCode.INVALID_INPUT, "No such tier for this wallet.", field="tier_code")
        before = _state(locked)
        locked.tier = tier
        locked.daily_transfer_limit = _effective_daily(locked)
        locked.save(update_fields=["tier", "daily_transfer_limit"])
        return ControlChange(before=before, after=_state(locked), wallet=locked)


def wallet_set_limit_overrides(
    *, wallet: Wallet, daily=UNSET, monthly=UNSET, max_balance=UNSET, per_transaction=UNSET, by: User
) -> ControlChange:
    """Sets the given overrides (None clears one: the tier's limit applies again); the others stay."""
    given = {
        name: value
        for name, value in {
            "daily": daily,
            "monthly": monthly,
            "max_balance": max_balance,
            "per_transaction": per_transaction,
        }.items()
        if value is not UNSET
    }
    for name, value in given.items():
        if value is not None and (not isinstance(value, Decimal) or not value.is_finite() or value < 0):
            raise WalletError(ErrorCode.INVALID_AMOUNT, "A limit is an amount of zero or more.", field=name)
    with transaction.atomic():
        locked = _locked(wallet)
        if locked.kind != Wallet.Kind.CUSTOMER:
            raise WalletError(ErrorCode.INVALID_INPUT, "System accounts have no limits.", field="wallet")
        before = _state(locked)
        for name, value in given.items():
            setattr(locked, _OVERRIDES[name], value)
        locked.daily_transfer_limit = _effective_daily(locked)
        locked.save(update_fields=[_OVERRIDES[name] for name in given] + ["daily_transfer_limit"])
        return ControlChange(before=before, after=_state(locked), wallet=locked)


def _locked(wallet: Wallet) -> Wallet:
    locked = Wallet.objects.select_for_update().select_related("tier").get(pk=wallet.pk)
    locked.user = wallet.user if wallet.user_id else None
    return locked


def _effective_daily(wallet: Wallet) -> Decimal:
    override = wallet.daily_limit_override
    return override if override is not None else wallet.tier.daily_limit


def _refresh_frozen_scope(wallet: Wallet) -> None:
    active = WalletFreeze.objects.filter(wallet=wallet, lifted_at__isnull=True).values_list("scope", flat=True)
    wallet.frozen_scope = frozen_scope_of(active)
    wallet.save(update_fields=["frozen_scope"])


def _state(wallet: Wallet) -> dict:
    """What the audit records: the controls as they stand, amounts as strings."""

    def text(value):
        return None if value is None else str(value)

    return {
        "frozen_scope": wallet.frozen_scope or None,
        "active_freezes": list(
            WalletFreeze.objects.filter(wallet=wallet, lifted_at__isnull=True)
            .order_by("id")
            .values_list("id", flat=True)
        ),
        "tier": wallet.tier_id,
        "daily_limit_override": text(wallet.daily_limit_override),
        "monthly_limit_override": text(wallet.monthly_limit_override),
        "max_balance_override": text(wallet.max_balance_override),
        "per_transaction_override": text(wallet.per_transaction_override),
        "daily_transfer_limit": text(wallet.daily_transfer_limit),
    }
