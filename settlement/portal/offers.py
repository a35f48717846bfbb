"""Owner pages: open offers with a countdown and their worth, answers, and history."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import members, signed_in
from settlement.errors import DomainError
from settlement.events import eligibility, operations, queries
from settlement.events.models import Offer


@login_required
def offers(request: HttpRequest) -> HttpResponse:
    """Show open offers (answerable now) and the history with deliveries and amounts."""
    now = timezone.now()
    mine = list(queries.offers_for_user(user=signed_in.signed_in_user(request)))
    open_ids = {
        offer.pk
        for offer in mine
        if offer.status in ("OPEN", "NEEDS_CONFIRMATION")
        and offer.event.response_deadline > now
        and offer.event.cancelled_at is None
    }
    context = {
        "open_offers": [offer for offer in mine if offer.pk in open_ids],
        "history": [
            {
                "offer": offer,
                "result": queries.ParticipantResult(
                    offer, queries.current_delivery(offer)
                ).as_dict(),
                "answer": _answer_label(offer),
            }
            for offer in mine
            if offer.pk not in open_ids
        ],
        "now": now,
        # A viewer sees the offers without the forms that answer them.
        "answerable": members.managed_participant_ids(user=signed_in.signed_in_user(request)),
    }
    return render(request, "portal/offers.html", context)


def _answer_label(offer: Offer) -> str:
    """Return the answer as the owner reads it: an unanswered offer past its deadline expired."""
    label = str(Offer.Status(offer.status).label)
    if offer.status in (Offer.Status.OPEN, Offer.Status.NEEDS_CONFIRMATION):
        label = str(Offer.Status.EXPIRED.label)
    if offer.committed_kw is not None:
        label += f" ({eligibility.kw_text(offer.committed_kw)} kW)"
    return label


def _committed_kw(text: str) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise operations.CommitmentInvalid(
            f"committed kW: {text!r} is not a number", details={"field": "committed_kw"}
        ) from None


def _offer_or_404(request: HttpRequest, offer_id: int):  # type: ignore[no-untyped-def]
    try:
        return queries.access_offer_for_user(
            user=signed_in.signed_in_user(request), offer_id=offer_id
        )
    except queries.OfferNotFound:
        raise Http404("no such offer") from None


@login_required
@require_POST
def accept(request: HttpRequest, offer_id: int) -> HttpResponse:
    """Accept the offer, optionally with a committed kW; report why when refused."""
    offer = _offer_or_404(request, offer_id)
    try:
        operations.accept_offer(
            offer=offer,
            committed_kw=_committed_kw(request.POST.get("committed_kw", "")),
            user=signed_in.signed_in_user(request),
            now=timezone.now(),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Accepted: you are confirmed for this event.")
    return redirect("portal:offers")


@login_required
@require_POST
def decline(request: HttpRequest, offer_id: int) -> HttpResponse:
    """Decline the offer; report why when refused."""
    offer = _offer_or_404(request, offer_id)
    try:
        operations.decline_offer(
            offer=offer, user=signed_in.signed_in_user(request), now=timezone.now()
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Declined. You will not be paid for this event.")
    return redirect("portal:offers")
