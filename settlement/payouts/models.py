"""Payout accounts, payout rows, program payout settings, webhook events, export files.

A payout row and its idempotency key are committed before Stripe is called; the row's
status then moves only forward (see `operations`), so a crash anywhere leaves a state
the reconciler can finish.
"""

from typing import ClassVar

from django.db import models
from django.db.models import Q

from accounts.models import Participant, Program


class PayoutMethod(models.TextChoices):
    """How a program pays its participants."""

    STRIPE_CONNECT = "STRIPE_CONNECT", "Stripe Connect transfer"
    BILL_CREDIT = "BILL_CREDIT", "Credit on the utility bill"
    MANUAL = "MANUAL", "Paid outside the service"


class ProgramPayoutSettings(models.Model):
    """A program's payout method and the smallest balance worth paying out."""

    program = models.OneToOneField(
        Program, on_delete=models.PROTECT, related_name="payout_settings"
    )
    method = models.CharField(max_length=16, choices=PayoutMethod.choices)
    minimum_cents = models.PositiveIntegerField(default=0)
    # The tax form the program's payments are reported on (US: 1099-MISC for incentives).
    tax_form = models.CharField(max_length=16, default="1099-MISC")
    # An organization is not reported as an individual is; empty: the same as `tax_form`.
    organization_tax_form = models.CharField(max_length=16, blank=True, default="")

    class Meta:
        verbose_name = "program payout settings"
        verbose_name_plural = "program payout settings"
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(method__in=PayoutMethod.values), name="program_payout_method_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program.code}: {self.method}"


class ParticipantTaxForm(models.Model):
    """A participant reported on another form than their program's (e.g. a tax-exempt body)."""

    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="tax_form_override"
    )
    tax_form = models.CharField(max_length=16)

    def __str__(self) -> str:
        return f"{self.participant.email}: {self.tax_form}"


class PayoutAccount(models.Model):
    """A participant's Stripe connected account and what Stripe last said about it."""

    participant = models.OneToOneField(
        Participant, on_delete=models.PROTECT, related_name="payout_account"
    )
    stripe_account_id = models.CharField(max_length=64, unique=True)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    requirements_due = models.JSONField(default=list)
    disabled_reason = models.CharField(max_length=100, blank=True)
    # When Stripe was last asked for the account's state (the state stored is that answer;
    # event snapshots are never applied, see `onboarding.sync_account`).
    state_as_of = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.stripe_account_id} for participant {self.participant_id}"


class Payout(models.Model):
    """One payment of a participant's payable balance, by one method, exactly once."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Waiting to be sent"
        SENDING = "SENDING", "Being sent"
        UNKNOWN = "UNKNOWN", "Outcome being checked"
        EXPORTED = "EXPORTED", "Exported to the utility"
        PAID = "PAID", "Paid"
        FAILED = "FAILED", "Failed"
        RETURNED = "RETURNED", "Returned"

    OPEN_STATUSES: ClassVar[tuple[str, ...]] = ("PENDING", "SENDING", "UNKNOWN", "EXPORTED")
    FINAL_STATUSES: ClassVar[tuple[str, ...]] = ("PAID", "FAILED", "RETURNED")

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="payouts")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="payouts")
    method = models.CharField(max_length=16, choices=PayoutMethod.choices)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Derived from the row (pk and key generation), written in the transaction that creates
    # the row, so every call to Stripe for this payout carries the same key.
    idempotency_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    # Bumped only after the reconciler has listed the transfer group and found nothing, once
    # Stripe may have forgotten the old key (24 h).
    key_generation = models.PositiveSmallIntegerField(default=1)
    key_created_at = models.DateTimeField(null=True, blank=True)
    transfer_group = models.CharField(max_length=64, unique=True, null=True, blank=True)
    destination = models.CharField(max_length=64, blank=True)
    stripe_transfer_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    send_attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=100, blank=True)
    failure_message = models.TextField(blank=True)
    bill_credit_file = models.ForeignKey(
        "BillCreditFile", on_delete=models.PROTECT, null=True, blank=True, related_name="payouts"
    )
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payout_amount_positive"),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "PENDING",
                        "SENDING",
                        "UNKNOWN",
                        "EXPORTED",
                        "PAID",
                        "FAILED",
                        "RETURNED",
                    ]
                ),
                name="payout_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(method__in=PayoutMethod.values), name="payout_method_valid"
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="payout_currency_iso4217"
            ),
            # One open payout per participant and currency: two concurrent runs cannot both
            # pay the same balance.
            models.UniqueConstraint(
                fields=["participant", "currency"],
                condition=Q(status__in=["PENDING", "SENDING", "UNKNOWN", "EXPORTED"]),
                name="payout_one_open_per_participant_currency",
            ),
            models.CheckConstraint(
                condition=Q(status="PAID", paid_at__isnull=False) | ~Q(status="PAID"),
                name="payout_paid_has_paid_at",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"payout {self.pk} of {self.amount_cents} {self.currency} ({self.status})"


class PayoutReturn(models.Model):
    """Money that came back to the platform after a payout was paid: a transfer reversal."""

    class Kind(models.TextChoices):
        TRANSFER_REVERSED = "TRANSFER_REVERSED", "Transfer reversed"
        # No longer created: a bank return moves nothing (see BankPayoutFailure); kept so
        # that rows recorded before issue 17 still read.
        BANK_RETURN = "BANK_RETURN", "Returned by the bank"

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="payout_returns"
    )
    payout = models.ForeignKey(
        Payout, on_delete=models.PROTECT, null=True, blank=True, related_name="returns"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The Stripe object that says so (a transfer reversal or a payout id): one return each.
    stripe_object_id = models.CharField(max_length=64, unique=True)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0), name="payout_return_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.stripe_object_id}"


class BankPayoutFailure(models.Model):
    """A bank payout from a participant's Stripe balance that their bank returned.

    Recorded for the owner to see and act on, never booked: the money stays in the
    participant's Stripe balance and Stripe pays it out again once the bank details are
    fixed, so nothing becomes payable again on our side (DOMAIN.md section 8).
    """

    participant = models.ForeignKey(
        Participant, on_delete=models.PROTECT, related_name="bank_payout_failures"
    )
    stripe_account_id = models.CharField(max_length=64)
    # Stripe's payout on the connected account: one row however often it is reported.
    stripe_payout_id = models.CharField(max_length=255, unique=True)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    failure_code = models.CharField(max_length=100, blank=True)
    failure_message = models.TextField(blank=True)
    # Stripe's `created` of the event that reported it: a later `payout.paid` on the same
    # account (by that clock) shows the bank details work again.
    failed_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"bank payout {self.stripe_payout_id} failed on {self.stripe_account_id}"


class WebhookEvent(models.Model):
    """Every Stripe event received, once, with what handling it did."""

    class Status(models.TextChoices):
        PROCESSED = "PROCESSED", "Processed"
        IGNORED = "IGNORED", "Ignored (type not handled)"
        FAILED = "FAILED", "Failed"

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    account = models.CharField(max_length=64, blank=True)
    livemode = models.BooleanField()
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField()
    deliveries = models.PositiveIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.event_id} {self.type} {self.status}"


class BillCreditFile(models.Model):
    """One export of a program's payouts for a period, to be confirmed by the utility."""

    class Status(models.TextChoices):
        EXPORTED = "EXPORTED", "Exported"
        CONFIRMED = "CONFIRMED", "Confirmed"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="bill_credit_files")
    period = models.CharField(max_length=7)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.EXPORTED)
    content = models.TextField()
    sha256 = models.CharField(max_length=64)
    total_cents = models.BigIntegerField()
    rows = models.PositiveIntegerField()
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(period__regex=r"^\d{4}-(0[1-9]|1[0-2])$"), name="bill_credit_period"
            ),
        ]

    def __str__(self) -> str:
        return f"bill credits {self.program.code} {self.period} ({self.pk})"


class PayoutStatement(models.Model):
    """A released statement paid by a payout (each statement by one payout only)."""

    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="statement_links")
    statement = models.OneToOneField(
        "statements.Statement", on_delete=models.PROTECT, related_name="payout_link"
    )

    def __str__(self) -> str:
        return f"statement {self.statement_id} paid by payout {self.payout_id}"
