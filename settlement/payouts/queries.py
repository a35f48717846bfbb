"""Reads for payouts: who may see what, balances to pay, payouts due, plain-word states."""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q, QuerySet, Sum

from accounts import access
from accounts import queries as account_queries
from accounts.models import Enrollment, Participant, Program, User
from settlement import bounds, formatting
from settlement.errors import NotFound
from settlement.ledger.models import LedgerAccount
from settlement.payouts.models import (
    BankPayoutFailure,
    Payout,
    PayoutAccount,
    PayoutMethod,
    PayoutReturn,
    ProgramPayoutSettings,
)
from settlement.rating.money import to_cents
from settlement.statements.models import Statement

# What Stripe's requirement codes mean, in words an owner understands.
REQUIREMENT_WORDS = {
    "external_account": "a bank account to receive payouts",
    "business_type": "whether you are paid as an individual or a company",
    "tos_acceptance.date": "acceptance of Stripe's terms of service",
    "tos_acceptance.ip": "acceptance of Stripe's terms of service",
    "individual.dob.day": "your date of birth",
    "individual.dob.month": "your date of birth",
    "individual.dob.year": "your date of birth",
    "individual.first_name": "your legal name",
    "individual.last_name": "your legal name",
    "individual.address.line1": "your home address",
    "individual.ssn_last_4": "the last 4 digits of your Social Security number",
    "individual.id_number": "your taxpayer identification number",
    "individual.verification.document": "a photo of an identity document",
    "company.tax_id": "your organization's tax ID (EIN)",
}


def plain_requirements(codes: list[str] | tuple[str, ...]) -> list[str]:
    """Return what is missing, in plain words, each once, in Stripe's order."""
    words: list[str] = []
    for code in codes:
        word = REQUIREMENT_WORDS.get(code) or code.replace("_", " ").replace(".", ": ")
        if word not in words:
            words.append(word)
    return words


# What an owner whose bank returned a payout should do; the page and the email say the same.
BANK_FAILURE_NEXT_STEP = (
    "The money is still in your Stripe balance: nothing is lost and nothing is owed again "
    "here. Please update your bank details through the secure Stripe page (Payouts, "
    '"Update your bank details"), and Stripe pays it out again.'
)


def format_cents(cents: int, currency: str) -> str:
    """Return an amount for people through the one formatter: `$12.34`, `€12.34`."""
    return formatting.money_cents(cents=cents, currency=currency)


def participants_for_payouts(*, user: User) -> QuerySet[Participant]:
    """Return the participants whose payouts `user` may see and manage (owners, managers)."""
    return access.participants_acted_for(user=user)


def open_bank_payout_failures(*, participant: Participant) -> QuerySet[BankPayoutFailure]:
    """Return the participant's bank payout failures not yet followed by a paid bank payout."""
    return BankPayoutFailure.objects.filter(
        participant=participant, resolved_at__isnull=True
    ).order_by("-failed_at", "-pk")


def payouts_visible_to(*, user: User) -> QuerySet[Payout]:
    """Return the payouts `user` may see: all for staff, their participants' for others."""
    payouts = Payout.objects.select_related("participant", "program")
    if account_queries.is_staff_user(user=user):
        return payouts
    return payouts.filter(participant__memberships__user=user)


def access_payout(*, user: User, payout_id: int) -> Payout:
    """Return the payout if `user` may see it; NotFound (404) otherwise."""
    payout = payouts_visible_to(user=user).filter(pk=payout_id).first()
    if payout is None:
        raise NotFound("No such payout.")
    return payout


def payout_account_of(*, participant: Participant) -> PayoutAccount | None:
    """Return the participant's payout account, if one was created."""
    return PayoutAccount.objects.filter(participant=participant).first()


def paying_program(*, participant: Participant, currency: str) -> Program | None:
    """Return the program whose payout method and minimum apply to the participant.

    A participant is normally in one program per currency; with several, the one enrolled
    in first decides (the earliest live enrollment, then the program code).
    """
    enrollment = (
        Enrollment.objects.filter(participant=participant, program__currency=currency)
        .exclude(status=Enrollment.Status.ENDED)
        .select_related("program__payout_settings")
        .order_by("starts_on", "program__code")
        .first()
    )
    return enrollment.program if enrollment else None


def participants_with_payable(
    *, participant_ids: list[int] | None = None
) -> Iterator[tuple[Participant, str]]:
    """Yield (participant, currency) for every payable account holding money owed."""
    accounts = LedgerAccount.objects.filter(
        kind=LedgerAccount.Kind.PARTICIPANT_PAYABLE, balance_cents__lt=0
    ).select_related("participant")
    if participant_ids is not None:
        accounts = accounts.filter(participant_id__in=participant_ids)
    for account in accounts.order_by("participant_id", "currency"):
        if account.participant is not None:
            yield account.participant, account.currency


def payouts_due_for_sending(*, now: datetime, quiet_for: timedelta) -> QuerySet[Payout]:
    """Return Stripe payouts waiting to be sent whose backoff is over.

    Only those untouched for `quiet_for`: a payout changed just now has its task queued
    already, and sending it again would only add a duplicate task.
    """
    return Payout.objects.filter(
        method=PayoutMethod.STRIPE_CONNECT,
        status=Payout.Status.PENDING,
        updated_at__lte=now - quiet_for,
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def payouts_to_reconcile(
    *, now: datetime, stale_after: timedelta, quiet_for: timedelta
) -> QuerySet[Payout]:
    """Return payouts with an unknown outcome, and those stuck SENDING (a worker died).

    UNKNOWN ones only once untouched for `quiet_for` (their reconciliation is queued).
    """
    return Payout.objects.filter(
        Q(status=Payout.Status.UNKNOWN, updated_at__lte=now - quiet_for)
        | Q(status=Payout.Status.SENDING, sending_since__lte=now - stale_after)
    )


def next_step(*, payout: Payout) -> str:
    """Return what happens next with a payout, in a sentence for its owner."""
    steps = {
        Payout.Status.PENDING: "It will be sent shortly.",
        Payout.Status.SENDING: "It is being sent to your payout account.",
        Payout.Status.UNKNOWN: (
            "We are checking with the payment provider whether it went through; "
            "it will not be sent twice."
        ),
        Payout.Status.EXPORTED: (
            "It has been sent to your utility and will appear as a bill credit."
        ),
        Payout.Status.PAID: "Nothing: it has been paid.",
        Payout.Status.FAILED: (
            "The amount is on your balance again and will be paid with the next payout "
            "once the problem is fixed."
        ),
        Payout.Status.RETURNED: (
            "The transfer was reversed and the amount is on your balance again; it will be "
            "paid with the next payout."
        ),
    }
    if payout.method == PayoutMethod.MANUAL and payout.status == Payout.Status.PENDING:
        return "The program pays it outside this service; it will be marked paid when confirmed."
    if payout.method == PayoutMethod.BILL_CREDIT and payout.status == Payout.Status.PENDING:
        return "It will be exported to your utility as a bill credit."
    return steps[Payout.Status(payout.status)]


def filter_payouts(
    payouts: QuerySet[Payout], *, status: str, method: str, program: str, participant: str
) -> QuerySet[Payout]:
    """Return `payouts` narrowed by the filters given (empty strings filter nothing)."""
    if status:
        payouts = payouts.filter(status=status.upper())
    if method:
        payouts = payouts.filter(method=method.upper())
    if program:
        payouts = payouts.filter(program__code=program)
    participant_id = bounds.id_from_text(participant)
    if participant_id is not None:
        payouts = payouts.filter(participant_id=participant_id)
    return payouts


@dataclass(frozen=True)
class TaxTotal:
    """What one participant was paid in a year, for one tax form."""

    participant_id: int
    participant: str
    email: str
    tax_form: str
    currency: str
    paid_cents: int


DEFAULT_TAX_FORM = "1099-MISC"


def tax_form_for(*, participant: Participant, settings: ProgramPayoutSettings | None) -> str:
    """Return the form `participant`'s payments in a program are reported on.

    The participant's own override first, then the program's form for their kind (an
    organization is not a 1099-MISC individual), then the program's default.
    """
    override = getattr(participant, "tax_form_override", None)
    if override is not None:
        return override.tax_form
    if settings is None:
        return DEFAULT_TAX_FORM
    if participant.kind == Participant.Kind.ORGANIZATION and settings.organization_tax_form:
        return settings.organization_tax_form
    return settings.tax_form


def tax_totals(*, year: int) -> list[TaxTotal]:
    """Return per participant, tax form and currency the money paid in `year` (UTC dates).

    Paid means payouts paid in the year (PAID, or RETURNED since), less what transfer
    reversals brought back in the year, whichever year the payout was. A bank payout that
    failed on the participant's account changes nothing: the money stayed theirs.
    """
    totals: dict[tuple[int, str, str], int] = defaultdict(int)
    names: dict[int, tuple[str, str]] = {}

    def form_of(payout: Payout) -> str:
        return tax_form_for(
            participant=payout.participant,
            settings=getattr(payout.program, "payout_settings", None),
        )

    paid = Payout.objects.filter(
        status__in=[Payout.Status.PAID, Payout.Status.RETURNED], paid_at__year=year
    ).select_related("participant__tax_form_override", "program__payout_settings")
    for payout in paid:
        totals[(payout.participant_id, form_of(payout), payout.currency)] += payout.amount_cents
        names[payout.participant_id] = (payout.participant.name, payout.participant.email)
    # Filtered before it is annotated, the sum counts only the year's reversals.
    reversed_in_year = (
        Payout.objects.filter(
            returns__kind=PayoutReturn.Kind.TRANSFER_REVERSED, returns__created_at__year=year
        )
        .annotate(reversed_cents=Sum("returns__amount_cents"))
        .select_related("participant__tax_form_override", "program__payout_settings")
    )
    for payout in reversed_in_year:
        key = (payout.participant_id, form_of(payout), payout.currency)
        totals[key] -= int(payout.reversed_cents)
        names[payout.participant_id] = (payout.participant.name, payout.participant.email)
    return [
        TaxTotal(pid, names[pid][0], names[pid][1], form, currency, cents)
        for (pid, form, currency), cents in sorted(totals.items())
    ]


def unreleased_cents(*, participant: Participant, currency: str) -> int:
    """Return what approved but not yet released statements added to the payable balance.

    Approval books a statement on the ledger; only release lets it be paid out.
    """
    totals = Statement.objects.filter(
        participant=participant,
        currency=currency,
        state=Statement.State.APPROVED,
        total__gt=0,
    ).values_list("total", flat=True)
    return sum(to_cents(total) for total in totals)


def released_unpaid_statements(*, participant: Participant, currency: str) -> QuerySet[Statement]:
    """Return the participant's released statements that no payout has paid yet."""
    return Statement.objects.filter(
        participant=participant,
        currency=currency,
        state=Statement.State.RELEASED,
        payout_link__isnull=True,
    ).order_by("pk")


def statements_paid_by_each(*, payout_ids: list[int]) -> dict[int, list[Statement]]:
    """Return the statements each payout paid, oldest first, in one query for all of them."""
    found: dict[int, list[Statement]] = {payout_id: [] for payout_id in payout_ids}
    for paid in (
        Statement.objects.filter(payout_link__payout_id__in=payout_ids)
        .select_related("run")
        .annotate(paying_payout_id=F("payout_link__payout_id"))
        .order_by("run__period_start", "pk")
    ):
        found[paid.paying_payout_id].append(paid)
    return found


def statements_paid_by(*, payout: Payout) -> list[Statement]:
    """Return the statements a payout paid, oldest first."""
    return list(
        Statement.objects.filter(payout_link__payout=payout)
        .select_related("run")
        .order_by("run__period_start", "pk")
    )
