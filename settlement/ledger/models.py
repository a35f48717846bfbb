"""Ledger accounts, journal entries and their postings, in integer cents.

Sign convention: a posting's `amount_cents` is positive for a debit and negative for a
credit; the postings of an entry sum to zero. An account's `balance_cents` is kept in the
same debit-positive sign (a payable owed to a participant is negative), and always equals
the sum of its postings (`check_ledger` verifies it).
"""

from typing import ClassVar

import pgtrigger
from django.db import models
from django.db.models import Q

from accounts.models import Participant, Program
from settlement.append_only import refuse_update_and_delete

ACCOUNT_KINDS = [
    "PROGRAM_EXPENSE",
    "PARTICIPANT_PAYABLE",
    "PARTICIPANT_RECEIVABLE",
    "PAYOUTS_IN_TRANSIT",
    "PROVIDER_CASH",
]
PARTICIPANT_ACCOUNT_KINDS = ["PARTICIPANT_PAYABLE", "PARTICIPANT_RECEIVABLE", "PAYOUTS_IN_TRANSIT"]

# Checked at COMMIT on PostgreSQL (a deferred constraint trigger), so an entry's postings can
# be inserted one by one inside the transaction that posts it.
_ENTRY_BALANCES = """
    IF (SELECT COUNT(*) FROM ledger_posting WHERE entry_id = NEW.entry_id) < 2 THEN
        RAISE EXCEPTION 'journal entry % has fewer than two postings', NEW.entry_id
            USING ERRCODE = '23514';
    END IF;
    IF (SELECT SUM(amount_cents) FROM ledger_posting WHERE entry_id = NEW.entry_id) <> 0 THEN
        RAISE EXCEPTION 'journal entry % does not balance', NEW.entry_id
            USING ERRCODE = '23514';
    END IF;
    IF EXISTS (
        SELECT 1 FROM ledger_posting p
        JOIN ledger_ledgeraccount a ON a.id = p.account_id
        JOIN ledger_journalentry e ON e.id = p.entry_id
        WHERE p.entry_id = NEW.entry_id AND a.currency <> e.currency
    ) THEN
        RAISE EXCEPTION 'journal entry % posts to an account of another currency', NEW.entry_id
            USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
"""

_ENTRY_HAS_POSTINGS = """
    IF (SELECT COUNT(*) FROM ledger_posting WHERE entry_id = NEW.id) < 2 THEN
        RAISE EXCEPTION 'journal entry % has fewer than two postings', NEW.id
            USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
"""


class LedgerAccount(models.Model):
    """One account of the chart, in one currency, owned by a program, a participant or none.

    PROGRAM_EXPENSE belongs to a program; PARTICIPANT_PAYABLE, PARTICIPANT_RECEIVABLE and
    PAYOUTS_IN_TRANSIT to a participant; PROVIDER_CASH (cash at the payment provider) to
    neither.
    """

    class Kind(models.TextChoices):
        PROGRAM_EXPENSE = "PROGRAM_EXPENSE", "Program expense"
        PARTICIPANT_PAYABLE = "PARTICIPANT_PAYABLE", "Owed to participant"
        PARTICIPANT_RECEIVABLE = "PARTICIPANT_RECEIVABLE", "Owed by participant"
        PAYOUTS_IN_TRANSIT = "PAYOUTS_IN_TRANSIT", "Payouts in transit"
        PROVIDER_CASH = "PROVIDER_CASH", "Cash at the payment provider"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    currency = models.CharField(max_length=3)
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_accounts"
    )
    participant = models.ForeignKey(
        Participant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    # Debit-positive running balance, updated in the transaction of every posting.
    balance_cents = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(kind__in=ACCOUNT_KINDS), name="ledger_account_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="ledger_account_currency_iso4217"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="PROGRAM_EXPENSE", program__isnull=False, participant__isnull=True)
                    | Q(
                        kind__in=PARTICIPANT_ACCOUNT_KINDS,
                        program__isnull=True,
                        participant__isnull=False,
                    )
                    | Q(kind="PROVIDER_CASH", program__isnull=True, participant__isnull=True)
                ),
                name="ledger_account_owner_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency", "program"],
                condition=Q(program__isnull=False),
                name="ledger_account_one_per_program",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency", "participant"],
                condition=Q(participant__isnull=False),
                name="ledger_account_one_per_participant",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=Q(program__isnull=True, participant__isnull=True),
                name="ledger_account_one_unowned",
            ),
        ]

    def __str__(self) -> str:
        owner = self.program or self.participant
        suffix = f" of {owner}" if owner else ""
        return f"{self.kind} {self.currency}{suffix}"


class JournalEntry(models.Model):
    """A balanced set of postings with one business source; never changed once written.

    (kind, source_type, source_id) is the idempotency key: posting the same source twice
    returns the first entry.
    """

    class Kind(models.TextChoices):
        STATEMENT_APPROVAL = "STATEMENT_APPROVAL", "Statement approved"
        PAYOUT_SENT = "PAYOUT_SENT", "Payout sent"
        PAYOUT_PAID = "PAYOUT_PAID", "Payout paid"
        PAYOUT_FAILED = "PAYOUT_FAILED", "Payout failed"
        PAYOUT_REVERSED = "PAYOUT_REVERSED", "Payout reversed"
        RECEIVABLE_OFFSET = "RECEIVABLE_OFFSET", "Receivable netted against payable"
        CORRECTION = "CORRECTION", "Correction"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    currency = models.CharField(max_length=3)
    # What the money movement is about, by name and id (a statement, a payout...); the ledger
    # sits below the apps that own them, so this is a reference, not a foreign key.
    source_type = models.CharField(max_length=40)
    source_id = models.CharField(max_length=64)
    memo = models.CharField(max_length=300, blank=True)
    posted_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["kind", "source_type", "source_id"], name="journal_entry_source_once"
            ),
            models.CheckConstraint(
                condition=~Q(source_type="") & ~Q(source_id=""),
                name="journal_entry_has_source",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"), name="journal_entry_currency_iso4217"
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["source_type", "source_id"])]
        triggers: ClassVar = [
            refuse_update_and_delete(name="journal_entry_append_only"),
            pgtrigger.Trigger(
                name="journal_entry_has_postings",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                timing=pgtrigger.Deferred,
                func=_ENTRY_HAS_POSTINGS,
            ),
        ]

    def __str__(self) -> str:
        return f"entry {self.pk} {self.kind} {self.source_type}:{self.source_id}"


class Posting(models.Model):
    """One side of a journal entry: a signed amount in cents (debit +, credit -) on an account."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="postings")
    amount_cents = models.BigIntegerField()

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=~Q(amount_cents=0), name="posting_amount_not_zero"),
        ]
        triggers: ClassVar = [
            refuse_update_and_delete(name="posting_append_only"),
            pgtrigger.Trigger(
                name="posting_entry_balances",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                timing=pgtrigger.Deferred,
                func=_ENTRY_BALANCES,
            ),
        ]

    def __str__(self) -> str:
        return f"posting {self.pk}: {self.amount_cents} on {self.account}"
