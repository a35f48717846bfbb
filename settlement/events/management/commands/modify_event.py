"""`modify_event --event ID [--start ISO] [--end ISO] [--kind K] [--price P] [--deadline ISO]`."""

from argparse import ArgumentParser
from typing import Any

from django.utils import timezone

from settlement import commands
from settlement.events import operations, queries
from settlement.events.management.commands import _event_command as common
from settlement.events.models import Offer


class Command(commands.JsonCommand):
    help = "Change an event before it starts (accepted offers need confirmation again)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--event", required=True, type=int)
        parser.add_argument("--start", type=common.instant)
        parser.add_argument("--end", type=common.instant)
        parser.add_argument("--kind", choices=common.KINDS)
        parser.add_argument("--price", type=common.decimal)
        parser.add_argument("--deadline", type=common.instant)
        parser.add_argument("--target-kw", type=common.decimal)

    def run(self, **options: Any) -> object:
        event = queries.event_by_id(event_id=options["event"])
        zone = event.program.timezone

        def given(name: str, current: Any) -> Any:
            value = options[name]
            if value is None:
                return current
            return queries.localize(value, time_zone=zone) if name != "price" else value

        event = operations.modify_event(
            event=event,
            terms=operations.EventTerms(
                starts_at=given("start", event.starts_at),
                ends_at=given("end", event.ends_at),
                response_deadline=given("deadline", event.response_deadline),
                kind=(options["kind"] or event.kind).upper(),
                price_per_kwh=given("price", event.price_per_kwh),
                target_kw=options["target_kw"] or event.target_kw,
                signal=event.signal,
            ),
            now=timezone.now(),
        )
        return {
            "event_id": event.pk,
            "modification": event.modification,
            "offers": event.offers.count(),
            "needs_confirmation": event.offers.filter(
                status=Offer.Status.NEEDS_CONFIRMATION
            ).count(),
        }
