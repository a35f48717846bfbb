"""Recalculation differences: fresh lines against what approved statements already booked.

Lines are matched by `match_key` (rule, tariff or rule version, channel, component and
bucket), never by label. Each key whose kWh or amount changed becomes one ADJUSTMENT line
of the difference; information lines (missing data, held estimates, not settleable) are
carried as they are now. Because every amount was rounded once on its own line, the
booked amounts plus the adjustments equal a fresh settlement's amounts exactly.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from settlement import formatting
from settlement.statements.lines.computation import (
    INFORMATION_KINDS,
    ZERO_AMOUNT,
    ZERO_KWH,
    ComputedLine,
)


@dataclass
class Booked:
    """The sum of what approved statements booked under one match key."""

    kind: str
    label: str
    kwh: Decimal = ZERO_KWH
    amount: Decimal = ZERO_AMOUNT
    # The rule version and event result of the latest line booked under the key.
    rule_version: str = ""
    event_result: str = ""


# (key, kind, adjusts_kind, label, kwh, amount, rule_version, event_result) of a booked line.
BookedRow = tuple[str, str, str, str, Decimal, Decimal, str, str]


def booked_by_key(rows: Iterable[BookedRow]) -> dict[str, Booked]:
    """Return booked sums by match key from booked lines, in booking order."""
    booked: dict[str, Booked] = {}
    for key, kind, adjusts_kind, label, kwh, amount, rule_version, event_result in rows:
        original_kind = adjusts_kind or kind
        if original_kind in INFORMATION_KINDS:
            continue
        entry = booked.setdefault(key, Booked(kind=original_kind, label=label))
        if kind != "ADJUSTMENT":
            entry.label = label
        entry.kwh += kwh
        entry.amount += amount
        entry.rule_version = rule_version or entry.rule_version
        entry.event_result = event_result or entry.event_result
    return booked


def _signed(value: Decimal) -> str:
    return f"+{value}" if value > 0 else str(value)


def difference_lines(
    fresh: list[ComputedLine], booked: dict[str, Booked], *, currency: str
) -> list[ComputedLine]:
    """Return the adjustment lines turning `booked` into `fresh`, then the information lines.

    Keys in fresh order first, then keys only booked (now nothing), in key order. Amounts in
    the labels are written with `currency`'s symbol (the program's).
    """
    # The symbol, then the amount as stored ("$-3.10" for a negative one): the adjustment
    # labels runs have already stored read this way, and reproducing a run compares labels.
    symbol = formatting.currency_symbol(currency)
    fresh_by_key: dict[str, ComputedLine] = {}
    for line in fresh:
        if line.kind not in INFORMATION_KINDS:
            fresh_by_key[line.match_key] = line
    adjustments = []
    keys = list(fresh_by_key) + sorted(set(booked) - set(fresh_by_key))
    for key in keys:
        now = fresh_by_key.get(key)
        was = booked.get(key)
        now_kwh = now.kwh if now else ZERO_KWH
        now_amount = now.amount if now else ZERO_AMOUNT
        was_kwh = was.kwh if was else ZERO_KWH
        was_amount = was.amount if was else ZERO_AMOUNT
        if now_kwh == was_kwh and now_amount == was_amount:
            continue
        # A vector line's label states its kWh; the adjustment names what it prices instead.
        label = str(now.detail.get("subject", now.label)) if now else (was.label if was else key)
        kind = now.kind if now else (was.kind if was else "EXPORT_ENERGY")
        adjustments.append(
            ComputedLine(
                kind="ADJUSTMENT",
                adjusts_kind=kind,
                label=(
                    f"Adjustment to {label}: {_signed(now_kwh - was_kwh)} kWh "
                    f"(was {was_kwh} kWh {symbol}{was_amount}, "
                    f"now {now_kwh} kWh {symbol}{now_amount})"
                ),
                match_key=key,
                kwh=now_kwh - was_kwh,
                price=now.price if now else None,
                amount=now_amount - was_amount,
                tariff_version_id=now.tariff_version_id if now else None,
                rule_version=now.rule_version if now else (was.rule_version if was else ""),
                event_result=now.event_result if now else (was.event_result if was else ""),
                lineage=now.lineage if now else [],
                detail={"was_kwh": str(was_kwh), "was_amount": str(was_amount)},
            )
        )
    information = [line for line in fresh if line.kind in INFORMATION_KINDS]
    return adjustments + information
