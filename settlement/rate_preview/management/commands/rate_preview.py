"""`rate_preview --tariff CODE --meter METER --start D --end D`: price readings, print JSON."""

import datetime as dt
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from accounts.models import Channel
from settlement import commands
from settlement.rate_preview import preview
from settlement.rate_preview.serializers import RatePreviewOutput


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


class Command(commands.JsonCommand):
    help = "Price a meter's readings over local dates [start, end) with a tariff; prints JSON."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--tariff", required=True)
        parser.add_argument("--meter", required=True)
        parser.add_argument("--start", required=True, type=_date)
        parser.add_argument("--end", required=True, type=_date, help="exclusive")
        parser.add_argument("--channel-kind", choices=Channel.Kind.values)

    def run(self, **options: Any) -> object:
        result = preview.preview_rating(
            tariff_code=options["tariff"],
            meter_id=options["meter"],
            channel_kind=options["channel_kind"],
            start=options["start"],
            end=options["end"],
        )
        return RatePreviewOutput(result).data
