"""Rating a chunk's channels together: one rating-core call per tariff version and dates.

A chunk's statements price each channel's paid readings over the channel's local dates.
Channels that share the version and dates are priced in one core call
(`settlement.rating.batches`), which gives each exactly what pricing it alone would.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np

from settlement.metering.formats import quality as quality_codes
from settlement.rating.batches import Outcome, price_batches
from settlement.rating.errors import RatingInputError
from settlement.rating.intervals import Int64Array
from settlement.rating.pricing import TariffSpan, price_period
from settlement.statements.lines.export_rules import ExportRulePart
from settlement.statements.lines.inputs import QUALITY_CODE, ChannelData
from settlement.tariffs import definitions
from settlement.tariffs import queries as tariff_queries

_PAID = np.array([QUALITY_CODE[paid] for paid in quality_codes.PAID], dtype=np.int64)
_ESTIMATED = QUALITY_CODE[quality_codes.Quality.ESTIMATED]


class TariffCache:
    """Rating tariffs by (version, local dates): a chunk parses each version once."""

    def __init__(self) -> None:
        self._tariffs: dict[tuple[int, date, date], definitions.Tariff] = {}

    def get(self, part: ExportRulePart, start: date, end: date) -> definitions.Tariff:
        """Return the version's rating tariff for [start, end) with holidays layered on."""
        key = (part.version.pk, start, end)
        if key not in self._tariffs:
            self._tariffs[key] = tariff_queries.rating_tariff(
                version=part.version, start=start, end=end
            )
        return self._tariffs[key]


def midnight_utc(day: date, zone: str) -> int:
    """Return the epoch second local `day` begins in `zone`."""
    moment = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
    return int(moment.astimezone(UTC).timestamp())


def rows_in(data: ChannelData, start_utc: int, end_utc: int) -> Int64Array:
    """Return the indices of the channel's readings that overlap [start_utc, end_utc).

    A reading reaching over an edge is in both windows it touches; each prices its share.
    """
    return np.flatnonzero(
        (data.start_utc < end_utc) & (data.start_utc + data.duration_s > start_utc)
    )


def paid_mask(quality: Int64Array, part: ExportRulePart) -> np.ndarray:
    """Return which readings of these qualities the rule part pays."""
    return np.isin(quality, _PAID) | ((quality == _ESTIMATED) & part.pay_estimated)


@dataclass(frozen=True)
class Piece:
    """A rule part clipped to an enrollment: its version prices local dates [start, end)."""

    part: ExportRulePart
    start: date
    end: date


@dataclass(frozen=True)
class ChannelWindow:
    """A channel whose readings consecutive rule parts price over local dates [start, end).

    The pieces pay one channel kind the same way; however many tariff versions they span,
    the window is one billing period to the core, so fixed items and the minimum/maximum
    bound apply once to it (`settlement.rating.pricing.price_period`).
    """

    pieces: tuple[Piece, ...]
    data: ChannelData

    @property
    def part(self) -> ExportRulePart:
        """Return the rule part in force at the window's start (its bound applies)."""
        return self.pieces[0].part

    @property
    def start(self) -> date:
        """Return the window's first local date."""
        return self.pieces[0].start

    @property
    def end(self) -> date:
        """Return the local date after the window."""
        return self.pieces[-1].end

    @property
    def key(self) -> tuple[object, ...]:
        """Return what identifies the pricing: versions and dates, estimate rule, channel."""
        versions = tuple((piece.part.version.pk, piece.start, piece.end) for piece in self.pieces)
        return (versions, self.part.pay_estimated, self.data.channel_id)

    @property
    def dates(self) -> tuple[date, date]:
        """Return the local dates [start, end)."""
        return self.start, self.end

    def utc_bounds(self) -> tuple[int, int]:
        """Return the window as epoch seconds [start, end) in the plan's zone."""
        zone = self.part.plan.timezone
        return midnight_utc(self.start, zone), midnight_utc(self.end, zone)

    def piece_starts_utc(self) -> list[int]:
        """Return the epoch second each piece begins, in order."""
        zone = self.part.plan.timezone
        return [midnight_utc(piece.start, zone) for piece in self.pieces]

    def paid_rows(self) -> Int64Array:
        """Return the indices of the readings in the window the part pays, in start order."""
        rows = rows_in(self.data, *self.utc_bounds())
        return rows[paid_mask(self.data.quality[rows], self.part)]


class ChannelRatings:
    """The rating results of a chunk's channel windows, priced together when asked to."""

    def __init__(self, tariffs: TariffCache | None = None) -> None:
        self.tariffs = tariffs or TariffCache()
        self._outcomes: dict[tuple[object, ...], Outcome] = {}

    def _price_across_versions(self, window: ChannelWindow) -> None:
        # Rare (a version change inside the period): priced alone, as one billing period.
        paid = window.paid_rows()
        if not paid.size:
            return
        several = len(window.pieces) > 1
        zone = window.part.plan.timezone
        spans = [
            TariffSpan(
                tariff=self.tariffs.get(piece.part, piece.start, piece.end),
                start=datetime.fromtimestamp(midnight_utc(piece.start, zone), tz=UTC),
                end=datetime.fromtimestamp(midnight_utc(piece.end, zone), tz=UTC),
                label=f"v{piece.part.version.version}" if several else "",
            )
            for piece in window.pieces
        ]
        try:
            self._outcomes[window.key] = price_period(
                window.data.take(paid),
                spans=spans,
                period_start_utc=spans[0].start,
                period_end_utc=spans[-1].end,
            )
        except RatingInputError as error:
            self._outcomes[window.key] = error

    def price_together(self, windows: Iterable[ChannelWindow]) -> None:
        """Price the windows' paid readings: one core call per tariff version and dates.

        A window spanning several versions is priced alone, across them.
        """
        by_tariff: dict[tuple[int, date, date], list[ChannelWindow]] = defaultdict(list)
        for window in windows:
            if len(window.pieces) > 1:
                self._price_across_versions(window)
                continue
            by_tariff[(window.part.version.pk, *window.dates)].append(window)
        for group in by_tariff.values():
            ready, arrays = [], []
            for window in group:
                paid = window.paid_rows()
                if not paid.size:
                    continue
                try:
                    arrays.append(window.data.take(paid))
                except RatingInputError as error:
                    self._outcomes[window.key] = error
                    continue
                ready.append(window)
            if not ready:
                continue
            first = ready[0]
            start_utc, end_utc = first.utc_bounds()
            outcomes = price_batches(
                arrays,
                self.tariffs.get(first.part, first.start, first.end),
                period_start_utc=datetime.fromtimestamp(start_utc, tz=UTC),
                period_end_utc=datetime.fromtimestamp(end_utc, tz=UTC),
            )
            for window, outcome in zip(ready, outcomes, strict=True):
                self._outcomes[window.key] = outcome

    def outcome(self, window: ChannelWindow) -> Outcome:
        """Return the window's rating or refusal, pricing the window alone if not priced yet.

        Only for a window with paid readings (the others are not rated at all).
        """
        if window.key not in self._outcomes:
            self.price_together([window])
        return self._outcomes[window.key]
