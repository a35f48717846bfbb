"""Reads for payouts: who may see what, balances to pay, payouts due, plain-word states."""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from accounts import access
from accounts import queries as account_queries
from accounts.models import Enrollment, Participant, Program, User
from settlement import bounds, formatting
from settlement.errors import NotFound
from settlement.ledger.models import LedgerAccount
from settlement.payouts.models import Payout, PayoutAccount, PayoutMethod
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


def format_cents(cents: int, currency: str) -> str:
    """Return an amount for people through the one formatter: `$12.34`, `€12.34`."""
    return formatting.money_cents(cents=cents, currency=currency)


def participants_for_payouts(*, user: User) -> QuerySet[Participant]:
    """Return the participants whose payouts `user` may see and manage (owners, managers)."""
    return access.participants_acted_for(user=user)


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


def participant_emails(*, participant_id: int) -> list[str]:
    """Return the addresses to tell about the participant's payouts."""
    participant = Participant.objects.filter(pk=participant_id).first()
    if participant is None:
        return []
    members = list(
        participant.memberships.filter(role__in=["OWNER", "MANAGER"]).values_list(
            "user__email", flat=True
        )
    )
    return members or [participant.email]


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
            "The amount is on your balance again; please check your payout account details."
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


def tax_totals(*, year: int) -> list[TaxTotal]:
    """Return per participant, tax form and currency the money paid in `year` (UTC payout date).

    Paid means PAID or later RETURNED payouts, less what came back in the same year.
    """
    totals: dict[tuple[int, str, str], int] = defaultdict(int)
    names: dict[int, tuple[str, str]] = {}
    paid = Payout.objects.filter(
        status__in=[Payout.Status.PAID, Payout.Status.RETURNED], paid_at__year=year
    ).select_related("participant", "program__payout_settings")
    for payout in paid:
        settings_row = getattr(payout.program, "payout_settings", None)
        form = settings_row.tax_form if settings_row else "1099-MISC"
        totals[(payout.participant_id, form, payout.currency)] += payout.amount_cents
        names[payout.participant_id] = (payout.participant.name, payout.participant.email)
        for returned in payout.returns.filter(created_at__year=year):
            totals[(payout.participant_id, form, payout.currency)] -= returned.amount_cents
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


def statements_paid_by(*, payout: Payout) -> list[Statement]:
    """Return the statements a payout paid, oldest first."""
    return list(
        Statement.objects.filter(payout_link__payout=payout)
        .select_related("run")
        .order_by("run__period_start", "pk")
    )
