"""Owner pages: open offers with a countdown and their worth, answers, and history."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import access, signed_in
from settlement import form_errors
from settlement.errors import DomainError
from settlement.events import eligibility, operations, queries
from settlement.events.models import Offer


@login_required
def offers(request: HttpRequest) -> HttpResponse:
    """Show open offers (answerable now) and the history with deliveries and amounts."""
    return _offers_page(request)


def _offers_page(
    request: HttpRequest, *, refused: dict[str, object] | None = None, status: int = 200
) -> HttpResponse:
    """Render the offers page; `refused` keeps a refused answer's typed kW and its reason."""
    now = timezone.now()
    mine = list(queries.offers_for_user(user=signed_in.signed_in_user(request)))
    acting_for = set(
        access.participants_acted_for(user=signed_in.signed_in_user(request)).values_list(
            "pk", flat=True
        )
    )
    open_ids = {
        offer.pk
        for offer in mine
        if offer.status in ("OPEN", "NEEDS_CONFIRMATION")
        and offer.event.response_deadline > now
        and offer.event.cancelled_at is None
    }
    context = {
        "open_offers": [offer for offer in mine if offer.pk in open_ids],
        # A viewer sees the offer but no form to answer it (the operation would refuse).
        "answerable_ids": {offer.pk for offer in mine if offer.participant_id in acting_for},
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
        "refused": refused or {},
    }
    return render(request, "portal/offers.html", context, status=status)


def _answer_label(offer: Offer) -> str:
    """Return the answer as the owner reads it: an unanswered offer past its deadline expired."""
    label = str(Offer.Status(offer.status).label)
    if offer.status in (Offer.Status.OPEN, Offer.Status.NEEDS_CONFIRMATION):
        label = str(Offer.Status.EXPIRED.label)
    if offer.committed_kw is not None:
        label += f" ({eligibility.kw_text(offer.committed_kw)} kW)"
    return label


def _committed_kw(text: str) -> Decimal | None:
    """Return the typed kW as a Decimal (None when blank); whether it may be committed is
    the operation's check."""
    text = text.strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise operations.CommitmentInvalid(
            f"committed_kw: {text[:40]!r} is not a number", details={"field": "committed_kw"}
        ) from None


def _offer_to_answer(request: HttpRequest, offer_id: int) -> Offer:
    """Return the offer the user may answer: 404 for a stranger's, 403 (MayNotAct) for a viewer.

    The role is checked here, before the answer, so a viewer gets the 403 page rather than
    a message among the refusals an owner can act on.
    """
    try:
        offer = queries.access_offer_for_user(
            user=signed_in.signed_in_user(request), offer_id=offer_id
        )
    except queries.OfferNotFound:
        raise Http404("no such offer") from None
    access.require_may_act_for(
        user=signed_in.signed_in_user(request), participant=offer.participant
    )
    return offer


@login_required
@require_POST
def accept(request: HttpRequest, offer_id: int) -> HttpResponse:
    """Accept the offer, optionally with a committed kW; report why when refused."""
    offer = _offer_to_answer(request, offer_id)
    typed = request.POST.get("committed_kw", "")
    try:
        operations.accept_offer(
            offer=offer,
            committed_kw=_committed_kw(typed),
            user=signed_in.signed_in_user(request),
            now=timezone.now(),
        )
    except operations.CommitmentInvalid as exc:
        # The form again, with what was typed and why it was refused, to correct it there.
        # In plain words: the field's label is beside it, its code name is not.
        error = form_errors.plain(exc.message, field=str(exc.details.get("field", "")))
        refused = {"offer_id": offer.pk, "committed_kw": typed, "error": error}
        return _offers_page(request, refused=refused, status=400)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Accepted: you are confirmed for this event.")
    return redirect("portal:offers")


@login_required
@require_POST
def decline(request: HttpRequest, offer_id: int) -> HttpResponse:
    """Decline the offer; report why when refused."""
    offer = _offer_to_answer(request, offer_id)
    try:
        operations.decline_offer(
            offer=offer, user=signed_in.signed_in_user(request), now=timezone.now()
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Declined. You will not be paid for this event.")
    return redirect("portal:offers")
