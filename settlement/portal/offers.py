"""Owner pages: open offers with a countdown and their worth, upcoming accepted events,
changing an answer until the deadline (a decline is confirmed first), each offer's answer
history, and the past."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import access, signed_in
from settlement import form_errors
from settlement.errors import DomainError
from settlement.events import eligibility, operations, queries, standing
from settlement.events.models import Offer
from settlement.statements.review import event_results


@login_required
@require_safe
def offers(request: HttpRequest) -> HttpResponse:
    """Show open offers, upcoming accepted events, declined ones still changeable, history."""
    return _offers_page(request)


def _offers_page(
    request: HttpRequest, *, refused: dict[str, object] | None = None, status: int = 200
) -> HttpResponse:
    """Render the offers page; `refused` keeps a refused answer's typed kW and its reason."""
    now = timezone.now()
    user = signed_in.signed_in_user(request)
    mine = list(queries.offers_for_user(user=user))
    acting_for = set(access.participants_acted_for(user=user).values_list("pk", flat=True))
    # Measured, estimated and settled: "delivered 14.2 kWh, estimated $28.40, ..." (issue 21).
    measured = event_results.results_of(offers=mine)
    open_offers, upcoming, declined, history = [], [], [], []
    changeable_ids = {offer.pk for offer in mine if queries.answer_changeable(offer, now=now)}
    for offer in mine:
        changeable = offer.pk in changeable_ids
        if changeable and offer.status in (Offer.Status.OPEN, Offer.Status.NEEDS_CONFIRMATION):
            open_offers.append(offer)
        elif (
            offer.status == Offer.Status.ACCEPTED
            and offer.event.cancelled_at is None
            and offer.event.ends_at > now
        ):
            # Accepted and not over: never in the history before the event ends.
            upcoming.append(offer)
        elif changeable and offer.status == Offer.Status.DECLINED:
            declined.append(offer)
        else:
            history.append(
                {
                    "offer": offer,
                    "result": queries.ParticipantResult(
                        offer, queries.current_delivery(offer)
                    ).as_dict(),
                    "answer": _answer_label(offer),
                    "event_result": measured.get(offer.pk),
                }
            )
    context = {
        "open_offers": open_offers,
        "upcoming": upcoming,
        "declined": declined,
        "changeable_ids": changeable_ids,
        # A viewer sees the offer but no form to answer it (the operation would refuse).
        "answerable_ids": {offer.pk for offer in mine if offer.participant_id in acting_for},
        "history": history,
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


def _reserve(text: str) -> int | None:
    """Return the typed reserve percent (None when blank); its range is the operation's."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or not text.isascii():
        raise operations.ReserveInvalid(
            f"reserve_percent: {text[:40]!r} is not a whole percent",
            details={"field": "reserve_percent"},
        )
    return int(text)


def offer_or_404(request: HttpRequest, offer_id: int) -> Offer:
    """Return the offer of one of the signed-in user's participants; 404 for anyone else's."""
    try:
        return queries.access_offer_for_user(
            user=signed_in.signed_in_user(request), offer_id=offer_id
        )
    except queries.OfferNotFound:
        raise Http404("no such offer") from None


def _offer_to_answer(request: HttpRequest, offer_id: int) -> Offer:
    """Return the offer the user may answer: 404 for a stranger's, 403 (MayNotAct) for a viewer.

    The role is checked here, before the answer, so a viewer gets the 403 page rather than
    a message among the refusals an owner can act on.
    """
    offer = offer_or_404(request, offer_id)
    access.require_may_act_for(
        user=signed_in.signed_in_user(request), participant=offer.participant
    )
    return offer


@login_required
@require_POST
def accept(request: HttpRequest, offer_id: int) -> HttpResponse:
    """Accept the offer (or change the committed kW, or accept after declining) until the
    deadline; report why when refused."""
    offer = _offer_to_answer(request, offer_id)
    was_answered = offer.status in (Offer.Status.ACCEPTED, Offer.Status.DECLINED)
    typed = request.POST.get("committed_kw", "")
    typed_reserve = request.POST.get("reserve_percent", "")
    try:
        answered = operations.accept_offer(
            offer=offer,
            committed_kw=_committed_kw(typed),
            reserve_percent=_reserve(typed_reserve),
            user=signed_in.signed_in_user(request),
            now=timezone.now(),
        )
    except (operations.CommitmentInvalid, operations.ReserveInvalid) as exc:
        # The form again, with what was typed and why it was refused, to correct it there.
        # In plain words: the field's label is beside it, its code name is not.
        error = form_errors.plain(exc.message, field=str(exc.details.get("field", "")))
        refused = {
            "offer_id": offer.pk,
            "committed_kw": typed,
            "reserve_percent": typed_reserve,
            "error": error,
        }
        return _offers_page(request, refused=refused, status=400)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if was_answered:
            kw = answered.committed_kw
            messages.success(
                request,
                "Changed: you now commit "
                + (f"{eligibility.kw_text(kw)} kW" if kw is not None else "your charger's maximum")
                + " to this event.",
            )
        else:
            messages.success(request, "Accepted: you are confirmed for this event.")
    return redirect("portal:offers")


@login_required
@require_http_methods(["GET", "POST"])
def decline(request: HttpRequest, offer_id: int) -> HttpResponse:
    """Ask to confirm a decline (GET, or a POST without `confirm`), then decline; report why
    when refused (after the deadline the answer stands)."""
    offer = _offer_to_answer(request, offer_id)
    if request.method == "GET" or request.POST.get("confirm") != "yes":
        return render(
            request,
            "portal/offer_decline.html",
            {
                "offer": offer,
                "changeable": queries.answer_changeable(offer, now=timezone.now()),
            },
        )
    try:
        operations.decline_offer(
            offer=offer, user=signed_in.signed_in_user(request), now=timezone.now()
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Declined. You will not be paid for this event.")
    return redirect("portal:offers")


@login_required
@require_safe
def answers(request: HttpRequest, offer_id: int) -> HttpResponse:
    """Show every answer to the offer, by hand or by a standing rule; the last one counts."""
    offer = offer_or_404(request, offer_id)
    history = list(standing.answers_of(offer=offer))
    return render(
        request,
        "portal/offer_answers.html",
        {"offer": offer, "answers": history, "current": history[-1] if history else None},
    )
