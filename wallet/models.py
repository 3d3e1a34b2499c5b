import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length, Lower
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from wallet.fields import MoneyField
from wallet.ledger_chain import GENESIS_HASH
from wallet.money import zero


class UserManager(DjangoUserManager):
    def with_username(self, username: str) -> models.QuerySet:
        """Usernames are unique case-insensitively, so "Alice" cannot impersonate "alice".

        Compared as LOWER(username), the expression of the unique index; Django's
        `iexact` compares UPPER() on PostgreSQL, which no index serves.
        """
        return self.alias(username_lower=Lower("username")).filter(username_lower=username.lower())

    def get_by_natural_key(self, username):
        # The wallet comes along: nearly every authenticated request needs it.
        return self.with_username(username).select_related("wallet").get()


class User(AbstractUser):
    mobile_number = models.CharField(
        max_length=16, unique=True, null=True, blank=True, help_text="E.164, e.g. +14155550123"
    )

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
        ]


def default_daily_transfer_limit():
    return settings.WALLET_DAILY_TRANSFER_LIMIT


def default_currency():
    return settings.WALLET_CURRENCY


class Tier(models.Model):
    """A level of limits (BASIC, VERIFIED, BUSINESS, seeded by migration 0022). A NULL limit is no limit. The
    code is the primary key, so that a new wallet gets BASIC by default without a query."""

    DEFAULT = "BASIC"

    code = models.CharField(max_length=32, primary_key=True)
    # The daily limit is kept on each wallet too (`Wallet.daily_transfer_limit`, see there), so it is required.
    daily_limit = MoneyField()
    monthly_limit = MoneyField(null=True, blank=True)
    max_balance = MoneyField(null=True, blank=True)
    per_transaction_max = MoneyField(null=True, blank=True)

    def __str__(self):
        return self.code


class Wallet(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER = "CUSTOMER", "Customer"
        # System accounts: money enters the ledger from FUNDING (top-ups) and
        # leaves it to PAYOUTS (withdrawals), so the whole ledger sums to zero.
        FUNDING = "FUNDING", "Funding (system)"
        PAYOUTS = "PAYOUTS", "Payouts (system)"
        # Holds: money reserved by a pending hold sits here, in the ledger's pending layer.
        HOLDS = "HOLDS", "Holds (system)"
        # Fees: every fee is a leg from its payer to a FEES shard, in the movement it is charged on.
        FEES = "FEES", "Fees (system)"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="wallet"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.CUSTOMER)
    currency = models.CharField(max_length=3, default=default_currency)
    # A cache of the sum of this wallet's entries, written only by the ledger service.
    balance = MoneyField(default=zero)
    # The wallet's effective daily limit, which the engine reads: its `daily_limit_override` if set, else its
    # tier's daily limit. The controls services keep it so (wallet/services/controls.py); setting this column
    # directly (the admin's field, `wallet_set_daily_limit`) is setting the daily override.
    daily_transfer_limit = MoneyField(default=default_daily_transfer_limit)
    tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, default=Tier.DEFAULT, db_default=Tier.DEFAULT, related_name="wallets"
    )
    # Per-wallet limits that win over the tier's; NULL means the tier's.
    daily_limit_override = MoneyField(null=True, blank=True)
    monthly_limit_override = MoneyField(null=True, blank=True)
    max_balance_override = MoneyField(null=True, blank=True)
    per_transaction_override = MoneyField(null=True, blank=True)
    # The union of the wallet's active freezes ('' when none): kept by the controls services in the same
    # transaction as the WalletFreeze rows, under the wallet's lock, and read by the engine with the locked row.
    frozen_scope = models.CharField(max_length=8, blank=True, default="", db_default="")
    # What the wallet has sent toward its daily limit on the day `spent_on` (in
    # TIME_ZONE). Kept by the ledger service under the wallet's lock, so the
    # limit check costs O(1) however busy the wallet is; verify_ledger recomputes it.
    # Reserved by this wallet's unreleased holds: minus the sum of its pending entries.
    held = MoneyField(default=zero)
    spent_today = MoneyField(default=zero)
    spent_on = models.DateField(null=True, blank=True)
    # The same for the calendar month starting on `spent_month` (its first day), for the monthly limit.
    spent_this_month = MoneyField(default=zero, db_default=0)
    spent_month = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The head of this wallet's hash chain: the entry_hash of its last entry (wallet/ledger_chain.py),
    # moved by the ledger service under the wallet's lock with the entries it writes.
    last_entry_hash = models.CharField(max_length=64, default=GENESIS_HASH, db_default=GENESIS_HASH, editable=False)
    # System accounts are split into shards (wallet/services/posting.py): a shard is a row of its own to lock.
    shard = models.PositiveSmallIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="CUSTOMER") | Q(balance__gte=0), name="customer_wallet_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(kind="CUSTOMER", user__isnull=False) | (~Q(kind="CUSTOMER") & Q(user__isnull=True)),
                name="wallet_owner_matches_kind",
            ),
            models.CheckConstraint(condition=Q(daily_transfer_limit__gte=0), name="daily_limit_not_negative"),
            models.UniqueConstraint(
                fields=["kind", "shard"], condition=Q(user__isnull=True), name="one_system_wallet_per_kind_and_shard"
            ),
        ]

    def __str__(self):
        owner = self.user.username if self.user_id else self.get_kind_display()
        return f"{owner} ({self.currency})"


class WalletFreeze(models.Model):
    """A freeze of a wallet's debits, credits or both. Active while `lifted_at` is NULL; a wallet may have
    several, and `Wallet.frozen_scope` is their union."""

    class Scope(models.TextChoices):
        DEBITS = "DEBITS"
        CREDITS = "CREDITS"
        ALL = "ALL"

    class Reason(models.TextChoices):
        FRAUD_SUSPECTED = "FRAUD_SUSPECTED"
        COMPLIANCE_REVIEW = "COMPLIANCE_REVIEW"
        CUSTOMER_REQUEST = "CUSTOMER_REQUEST"
        LOST_DEVICE = "LOST_DEVICE"
        OTHER = "OTHER"

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="freezes")
    scope = models.CharField(max_length=8, choices=Scope.choices)
    reason_code = models.CharField(max_length=32, choices=Reason.choices)
    note = models.CharField(max_length=500, blank=True, default="")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_by_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The setter's key for the request that set it: a retry with the same key answers this freeze again.
    idempotency_key = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["wallet"], condition=Q(lifted_at__isnull=True), name="freeze_active_by_wallet")]
        constraints = [
            models.UniqueConstraint(
                fields=["set_by", "idempotency_key"], condition=~Q(idempotency_key=""), name="freeze_key_per_setter"
            )
        ]


class FeeRule(models.Model):
    """A fee on a movement kind, for one tier or (tier NULL) for every tier; the engine applies the active rule of
    the payer's tier, else the active rule for all tiers, the lowest id first. No rules by default: no fees.

    fee = clamp(round_half_up(amount × percent / 100, to the minor unit) + fixed, minimum, maximum); a top-up's fee
    is further less than its amount (it comes out of it). See docs/MONEY.md."""

    class Kind(models.TextChoices):
        ADD_MONEY = "ADD_MONEY"
        TRANSFER = "TRANSFER"
        PAY_BY_MOBILE = "PAY_BY_MOBILE"
        WITHDRAWAL = "WITHDRAWAL"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="fee_rules")
    percent = models.DecimalField(max_digits=7, decimal_places=4, default=0)
    fixed = MoneyField(default=zero)
    minimum = MoneyField(null=True, blank=True)
    maximum = MoneyField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=0, percent__lte=100, fixed__gte=0)
                & (Q(minimum__isnull=True) | Q(minimum__gte=0))
                & (Q(maximum__isnull=True) | Q(minimum__isnull=True) | Q(maximum__gte=F("minimum"))),
                name="fee_rule_sane",
            )
        ]
        indexes = [models.Index(fields=["kind"], condition=Q(active=True), name="fee_rule_active_by_kind")]


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    """Ledger rows: written once, never updated or deleted (corrections are new rows)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


class Transaction(AppendOnlyModel):
    class Kind(models.TextChoices):
        ADD_MONEY = "ADD_MONEY", "Add money"
        TRANSFER = "TRANSFER", "Transfer"
        PAY_BY_MOBILE = "PAY_BY_MOBILE", "Pay by mobile"
        WITHDRAWAL = "WITHDRAWAL", "Withdrawal"
        REVERSAL = "REVERSAL", "Reversal"
        HOLD = "HOLD", "Hold"
        HOLD_CAPTURE = "HOLD_CAPTURE", "Hold capture"
        HOLD_RELEASE = "HOLD_RELEASE", "Hold release"

    class Status(models.TextChoices):
        SUCCESS = "SUCCESS", "Success"
        FAILED = "FAILED", "Failed"
        # A hold: its money is reserved (pending entries) until a capture or release follows it.
        PENDING = "PENDING", "Pending"

    # The kinds that take money out of a customer's wallet and count toward its daily limit
    # (a HOLD counts when placed, while PENDING, and its capture does not count again).
    OUTGOING_KINDS = (Kind.TRANSFER, Kind.PAY_BY_MOBILE, Kind.WITHDRAWAL, Kind.REVERSAL, Kind.HOLD)
    REVERSIBLE_KINDS = (Kind.TRANSFER, Kind.PAY_BY_MOBILE)
    # What resolves a hold (once: see the hold_resolves_once constraint).
    HOLD_RESOLUTION_KINDS = (Kind.HOLD_CAPTURE, Kind.HOLD_RELEASE)

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices)
    amount = MoneyField()
    # The fee charged on the movement (the engine's, by the FeeRule that applied), booked as its own leg to a FEES
    # account; 0 when none. Not part of `amount`.
    fee = MoneyField(default=zero, db_default=0)
    currency = models.CharField(max_length=3)
    initiator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="initiated_transactions"
    )
    sender_wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="sent_transactions")
    # Null only for a movement refused because its receiver does not exist.
    receiver_wallet = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, null=True, blank=True, related_name="received_transactions"
    )
    # When a HOLD stops reserving money unless captured or voided first.
    expires_at = models.DateTimeField(null=True, blank=True)
    # The transaction this one acts on: the transfer a REVERSAL returns money of,
    # the HOLD a capture or release resolves.
    original = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups")
    idempotency_key = models.CharField(max_length=255)
    # A digest of the request's parameters: a key reused with other parameters is refused.
    request_fingerprint = models.CharField(max_length=64)
    failure_code = models.CharField(max_length=32, blank=True, default="")
    note = models.CharField(max_length=255, blank=True, default="")
    # The client's own id for the movement (an order id), unique per initiator among movements that took effect,
    # and a small flat map of the client's strings; both filterable in the history.
    reference = models.CharField(max_length=100, blank=True, default="", db_default="")
    metadata = models.JSONField(default=dict, blank=True, db_default={})
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["initiator", "idempotency_key"], name="idempotency_key_unique_per_user"),
            models.UniqueConstraint(
                fields=["initiator", "reference"],
                condition=Q(status__in=["SUCCESS", "PENDING"]) & ~Q(reference=""),
                name="reference_unique_per_initiator",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="transaction_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["SUCCESS", "PENDING"], failure_code="")
                | (Q(status="FAILED") & ~Q(failure_code="")),
                name="failure_code_iff_failed",
            ),
            models.CheckConstraint(
                condition=Q(status="FAILED") | Q(receiver_wallet__isnull=False), name="success_has_receiver"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["REVERSAL", "HOLD_CAPTURE", "HOLD_RELEASE"], original__isnull=False)
                | (~Q(kind__in=["REVERSAL", "HOLD_CAPTURE", "HOLD_RELEASE"]) & Q(original__isnull=True)),
                name="follow_up_has_original",
            ),
            models.CheckConstraint(
                condition=Q(status="PENDING", kind="HOLD", expires_at__isnull=False) | ~Q(status="PENDING"),
                name="pending_is_an_expiring_hold",
            ),
            # A hold resolves exactly once, whatever races the application loses.
            models.UniqueConstraint(
                fields=["original"],
                condition=Q(kind__in=["HOLD_CAPTURE", "HOLD_RELEASE"], status="SUCCESS"),
                name="hold_resolves_once",
            ),
        ]
        indexes = [
            # History pages are keyset-paginated on id, newest first.
            models.Index(fields=["initiator", "-id"], name="txn_initiator_history"),
            models.Index(fields=["receiver_wallet", "-id"], name="txn_receiver_history"),
            # Today's outgoing total, for the daily limit.
            models.Index(fields=["sender_wallet", "created_at"], name="txn_sender_day"),
            # The history's filters by reference and by metadata (metadata @> {"key": "value"}): the viewer's own
            # tagged movements, found by who they involve (every history row's wallet is the initiator's, the
            # sender or the receiver) and their tags, so a lookup does not read everyone's movements with that
            # value (references and order ids recur across initiators). btree_gin gives GIN the id and reference
            # columns; no pending list, which every search would read in full (bench/RESULTS.md, "Reference and
            # metadata lookups").
            GinIndex(
                fields=["initiator", "sender_wallet", "receiver_wallet", "reference", "metadata"],
                opclasses=["int8_ops", "int8_ops", "int8_ops", "varchar_ops", "jsonb_path_ops"],
                condition=~Q(reference="") | ~Q(metadata={}),
                fastupdate=False,
                name="txn_tags",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} {self.currency} ({self.status})"


class TransactionParty(AppendOnlyModel):
    """A wallet in whose history a transaction appears: the initiator's always, the other side's once it succeeded.

    One indexed (wallet, transaction) row per viewer lets a history page be an
    index range scan however long the history or the whole ledger grows.
    """

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="parties")
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name_plural = "transaction parties"
        constraints = [models.UniqueConstraint(fields=["wallet", "transaction"], name="one_history_row_per_wallet")]


class LedgerEntry(AppendOnlyModel):
    class Direction(models.TextChoices):
        DEBIT = "DEBIT", "Debit"
        CREDIT = "CREDIT", "Credit"

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries")
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries")
    # Signed change to the wallet's balance: positive credits it, negative debits
    # it. The deltas of one transaction, and of the whole ledger, sum to zero.
    delta = MoneyField()
    # Pending entries reserve money for a hold: they move `held`, not `balance`, and
    # balance_after is the (posted) balance, unchanged by them. Each layer sums to zero.
    pending = models.BooleanField(default=False)
    balance_after = MoneyField()
    created_at = models.DateTimeField(default=timezone.now)
    # The hash chain (wallet/ledger_chain.py): the entry_hash of the entry before this one in its wallet's
    # chain, and an HMAC of this entry's contents and previous_hash. Empty only for rows the service never wrote.
    previous_hash = models.CharField(max_length=64, default="", db_default="", editable=False)
    entry_hash = models.CharField(max_length=64, default="", db_default="", editable=False)

    class Meta:
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0), name="entry_delta_not_zero"),
            models.UniqueConstraint(
                fields=["transaction", "wallet", "pending"], name="one_entry_per_wallet_layer_per_transaction"
            ),
        ]
        indexes = [
            models.Index(fields=["wallet", "-id"], name="entry_wallet_history"),
            # The balance at a moment (the posted entries since it) and a statement's period: ranges of it.
            models.Index(fields=["wallet", "created_at", "id"], name="entry_wallet_time"),
        ]

    @property
    def direction(self) -> str:
        return self.Direction.CREDIT if self.delta > 0 else self.Direction.DEBIT

    @property
    def amount(self):
        return abs(self.delta)


class OutboxEvent(models.Model):
    """An event written in the same database transaction as the movement it describes."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(max_length=64)
    # What the event is about: a movement (transaction.*) or a payment request (payment_request.*).
    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    payment_request = models.ForeignKey(
        "PaymentRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(transaction__isnull=False) | Q(payment_request__isnull=False),
                name="outbox_event_has_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["id"], condition=Q(published_at__isnull=True), name="outbox_unpublished"),
        ]


class PaymentRequest(models.Model):
    """A request-to-pay: the requester asks the payer for an amount until `expires_at`. The payer approves it (a
    TRANSFER to the requester, through the posting engine) or declines it; the requester may cancel it. It leaves
    PENDING once, under its row's lock (wallet/services/payment_requests.py); a PENDING request past `expires_at` is
    EXPIRED to every reader even before `payment_requests_expire` marks it."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        PAID = "PAID", "Paid"
        DECLINED = "DECLINED", "Declined"
        CANCELLED = "CANCELLED", "Cancelled"
        EXPIRED = "EXPIRED", "Expired"

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payment_requests_sent"
    )
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payment_requests_received"
    )
    amount = MoneyField()
    currency = models.CharField(max_length=3)
    note = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    # The requester's key of requestPayment, and a digest of its parameters (a reused key with others is refused).
    idempotency_key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    # When it left PENDING (for an expired one, its expiry).
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The transfer that paid it: one request per transfer, and a PAID request always has one.
    transaction = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, null=True, blank=True, related_name="payment_request"
    )
    # The key of the decline or cancel that closed it, so that a retry of it replays.
    resolution_idempotency_key = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["requester", "idempotency_key"], name="payment_request_key_per_requester"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_request_amount_positive"),
            models.CheckConstraint(condition=~Q(requester=models.F("payer")), name="payment_request_not_to_self"),
            models.CheckConstraint(
                condition=Q(status__in=["PENDING", "PAID", "DECLINED", "CANCELLED", "EXPIRED"]),
                name="payment_request_status",
            ),
            models.CheckConstraint(
                condition=Q(status="PAID", transaction__isnull=False)
                | (~Q(status="PAID") & Q(transaction__isnull=True)),
                name="payment_request_paid_iff_transaction",
            ),
            models.CheckConstraint(
                condition=Q(status="PENDING", resolved_at__isnull=True)
                | (~Q(status="PENDING") & Q(resolved_at__isnull=False)),
                name="payment_request_resolved_iff_closed",
            ),
        ]
        indexes = [
            # paymentRequests(role: INCOMING | OUTGOING): keyset pages, newest first.
            models.Index(fields=["payer", "-id"], name="payment_request_incoming"),
            models.Index(fields=["requester", "-id"], name="payment_request_outgoing"),
            # The expiry pass: the pending ones that are due.
            models.Index(fields=["expires_at"], condition=Q(status="PENDING"), name="payment_request_due"),
        ]

    def __str__(self):
        return f"Payment request {self.pk}: {self.amount} {self.currency} ({self.status})"


class ProcessedEvent(models.Model):
    """An event a consumer has handled, so that a redelivery does nothing."""

    consumer = models.CharField(max_length=64)
    event_id = models.UUIDField()
    processed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consumer", "event_id"], name="event_handled_once_per_consumer")]


class Receipt(models.Model):
    """A participant's PDF receipt of a transaction: one per (transaction, wallet), however often generated."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        READY = "READY", "Ready"
        FAILED = "FAILED", "Failed"

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="receipts")
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="receipts")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    verification_code = models.CharField(max_length=32)
    pdf = models.BinaryField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When its participant first asked for it: its rendering was queued then (most receipts are never asked for).
    requested_at = models.DateTimeField(null=True, blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["transaction", "wallet"], name="one_receipt_per_participant")]


class ApiKey(models.Model):
    """A server's credential: it acts as its owner (a merchant), with only its scopes. The secret is shown once and
    stored as its SHA-256 (it is long and random, so a slow hash adds nothing); `prefix` finds the row."""

    class Scope(models.TextChoices):
        READ = "READ", "Read"
        MOVE_MONEY = "MOVE_MONEY", "Move money"
        HOLDS = "HOLDS", "Holds"
        WEBHOOKS = "WEBHOOKS", "Webhooks"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.name} ({self.prefix})"


class WebhookEndpoint(models.Model):
    """Where an owner wants to hear of the movements that touch their wallet. The secret signs each delivery
    (Standard Webhooks, HMAC-SHA256), so it is kept as itself; after a rotation the previous one signs too, until
    `previous_secret_expires_at`, so receivers can switch without missing a delivery."""

    class EventType(models.TextChoices):
        TRANSACTION_SUCCEEDED = "transaction.succeeded"
        TRANSACTION_FAILED = "transaction.failed"
        TRANSACTION_PENDING = "transaction.pending"
        PAYMENT_REQUEST_CREATED = "payment_request.created"
        PAYMENT_REQUEST_PAID = "payment_request.paid"
        PAYMENT_REQUEST_DECLINED = "payment_request.declined"
        PAYMENT_REQUEST_CANCELLED = "payment_request.cancelled"
        PAYMENT_REQUEST_EXPIRED = "payment_request.expired"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    event_types = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=255, blank=True, default="")
    secret = models.CharField(max_length=64)
    previous_secret = models.CharField(max_length=64, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["owner"], condition=Q(enabled=True), name="webhook_endpoint_enabled")]

    def __str__(self):
        return self.url


class WebhookDelivery(models.Model):
    """One event to one endpoint, sent until it succeeds or its retries run out. Every attempt carries the same
    `webhook-id` (the event's id) and the same body, so receivers can drop a repeat. `next_attempt_at` is also the
    lease of a sender working on it: a sender that dies leaves it due again when the lease ends."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SUCCEEDED = "SUCCEEDED", "Succeeded"
        FAILED = "FAILED", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=64)
    body = models.TextField()
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True, default="")
    # Blank for the delivery the event made; a redelivery asked for by hand carries its request's key.
    idempotency_key = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], condition=Q(idempotency_key=""), name="one_delivery_per_event"
            ),
            models.UniqueConstraint(
                fields=["endpoint", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="one_redelivery_per_key",
            ),
            models.CheckConstraint(condition=Q(status__in=["PENDING", "SUCCEEDED", "FAILED"]), name="webhook_status"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="PENDING"), name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_log"),
        ]


class WebhookAttempt(models.Model):
    """One try of a delivery, as the owner's log shows it."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)


class StandingOrder(models.Model):
    """A transfer its owner scheduled: once, or repeated daily, weekly or monthly until an end date or a count.
    The scheduler (wallet/services/standing_orders.py) pays each occurrence through the posting engine under a key
    derived from the order and the occurrence's number, and records it as a StandingOrderOccurrence."""

    class Repeat(models.TextChoices):
        NONE = "NONE", "Once"
        DAILY = "DAILY", "Daily"
        WEEKLY = "WEEKLY", "Weekly"
        MONTHLY = "MONTHLY", "Monthly"

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", "Active"
        PAUSED = "PAUSED", "Paused"
        CANCELLED = "CANCELLED", "Cancelled"
        COMPLETED = "COMPLETED", "Completed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="standing_orders")
    # The user the owner named when scheduling: every occurrence pays this user, whatever becomes of a mobile number.
    receiver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Set when the owner named the receiver by mobile number: the occurrences are then PAY_BY_MOBILE movements.
    receiver_mobile_number = models.CharField(max_length=16, blank=True, default="")
    amount = MoneyField()
    currency = models.CharField(max_length=3)
    note = models.CharField(max_length=255, blank=True, default="")
    repeat = models.CharField(max_length=8, choices=Repeat.choices)
    # MONTHLY only: the day each occurrence after the first falls on (the month's last day in shorter months).
    day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)
    first_run_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    max_occurrences = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.ACTIVE)
    # The next occurrence: its number in the order's series (1 is first_run_at) and when it is due. Null once the
    # order is over (cancelled or completed).
    next_number = models.PositiveIntegerField(default=1)
    next_run_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "idempotency_key"], name="standing_order_key_unique_per_owner"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="standing_order_amount_positive"),
            models.CheckConstraint(
                condition=Q(day_of_month__isnull=True) | Q(repeat="MONTHLY", day_of_month__gte=1, day_of_month__lte=31),
                name="standing_order_day_of_month_monthly",
            ),
            models.CheckConstraint(
                condition=Q(max_occurrences__isnull=True) | Q(max_occurrences__gte=1),
                name="standing_order_max_occurrences_positive",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("first_run_at")),
                name="standing_order_ends_after_first_run",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["ACTIVE", "PAUSED"], next_run_at__isnull=False)
                | Q(status__in=["CANCELLED", "COMPLETED"], next_run_at__isnull=True),
                name="standing_order_next_run_iff_open",
            ),
        ]
        indexes = [
            # What the scheduler claims: the active orders that are due, oldest due first.
            models.Index(fields=["next_run_at"], condition=Q(status="ACTIVE"), name="standing_order_due"),
            models.Index(fields=["owner", "-id"], name="standing_order_owner_list"),
        ]

    def __str__(self):
        return f"{self.get_repeat_display()} {self.amount} {self.currency} ({self.status})"


class StandingOrderOccurrence(models.Model):
    """One occurrence the scheduler ran: SUCCESS or FAILED as its movement was, with the movement (a refused one
    too). Written in the database transaction that posted the movement, so an occurrence is recorded iff it ran."""

    standing_order = models.ForeignKey(StandingOrder, on_delete=models.PROTECT, related_name="occurrences")
    number = models.PositiveIntegerField()
    due_at = models.DateTimeField()
    ran_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Transaction.Status.choices)
    failure_code = models.CharField(max_length=32, blank=True, default="")
    # Null only when the engine refused the request outright (nothing was recorded in the ledger).
    transaction = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, null=True, blank=True, related_name="standing_order_occurrence"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["standing_order", "number"], name="standing_order_occurrence_once"),
            models.CheckConstraint(
                condition=Q(status="SUCCESS", failure_code="") | (Q(status="FAILED") & ~Q(failure_code="")),
                name="occurrence_failure_code_iff_failed",
            ),
        ]


class StaffAuditRecord(AppendOnlyModel):
    """One staff action (API or admin): who did what to which target, why, and the state before and after. Written by
    `wallet.services.staff.staff_action` in the database transaction of the action itself, so a record exists iff
    the action took effect. Append-only in the database too (migration 0023's trigger), like the ledger."""

    class Action(models.TextChoices):
        FREEZE_WALLET = "FREEZE_WALLET", "Freeze a wallet"
        UNFREEZE_WALLET = "UNFREEZE_WALLET", "Lift a wallet's freeze"
        SET_WALLET_TIER = "SET_WALLET_TIER", "Set a wallet's tier"
        SET_WALLET_LIMITS = "SET_WALLET_LIMITS", "Set a wallet's limit overrides"
        REVERSE_TRANSACTION = "REVERSE_TRANSACTION", "Reverse a transaction"
        RESEND_WEBHOOK = "RESEND_WEBHOOK", "Resend a webhook delivery"
        RESEND_RECEIPT = "RESEND_RECEIPT", "Resend a transaction's receipts"

    class Source(models.TextChoices):
        API = "API", "Staff API"
        ADMIN = "ADMIN", "Django admin"

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="staff_actions")
    action = models.CharField(max_length=32, choices=Action.choices)
    reason = models.CharField(max_length=500)
    target_wallet = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, null=True, blank=True, related_name="staff_audit_records"
    )
    # The object acted on, by model name and primary key (a Transaction, a WebhookDelivery, a WalletFreeze, ...).
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.API)
    # The actor's key for this action, and a digest of its parameters: a retry replays, a reuse with others is refused.
    idempotency_key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    # The X-Request-ID of the HTTP request that did it (server/observability.py), to find its log lines.
    request_id = models.CharField(max_length=128, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # The staff permissions, one per kind of staff action (granted in the admin, to users or groups).
        permissions = [
            ("freeze_wallet", "Can freeze and unfreeze wallets"),
            ("set_wallet_tier", "Can set a wallet's tier and limit overrides"),
            ("reverse_transaction", "Can reverse a transaction on a customer's behalf"),
            ("resend_notification", "Can resend webhooks and receipts"),
            ("view_staff_audit", "Can read the staff audit trail"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["actor", "idempotency_key"], name="staff_audit_key_unique_per_actor"),
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("reason"), 3), name="staff_audit_reason_at_least_3_characters"
            ),
        ]
        indexes = [
            # staffAuditRecords filtered by actor, wallet or action: keyset pages newest first (unfiltered: the pk).
            models.Index(fields=["actor", "-id"], name="staff_audit_by_actor"),
            models.Index(fields=["target_wallet", "-id"], name="staff_audit_by_wallet"),
            models.Index(fields=["action", "-id"], name="staff_audit_by_action"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} by {self.actor_id} ({self.created_at:%Y-%m-%d %H:%M})"
