"""`manage.py rebuild_daily_totals`: recompute the per-channel daily totals from readings."""

from typing import Any

from django.core.management.base import CommandParser

from settlement import commands
from settlement.metering import daily_totals


class Command(commands.JsonCommand):
    help = (
        "Recompute every channel's daily totals (or those of --channel ids) from the readings, "
        "after a bulk load that bypassed ingestion. Prints the channels and days written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--channel", type=int, action="append", default=None, help="a channel id; repeatable"
        )

    def run(self, **options: Any) -> object:
        refreshed = daily_totals.rebuild(channel_ids=options["channel"])
        return {"channels": refreshed.channels, "days": refreshed.days}
