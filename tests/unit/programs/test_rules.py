"""The one rule validation: typed parameters per kind, every bad field named."""

from datetime import time
from decimal import Decimal

import pytest

from settlement.programs import rules
from settlement.programs.rules import RuleInvalid, RuleKind


def problems(kind: str, parameters: object) -> dict[str, str]:
    with pytest.raises(RuleInvalid) as raised:
        rules.parse_parameters(kind, parameters)
    return {problem.field: problem.reason for problem in raised.value.problems}


def test_export_tariff_defaults_to_not_paying_estimates():
    parsed = rules.parse_parameters(
        "EXPORT_TARIFF", {"plan": "pde-tou-export", "channel_kind": "EVSE_EXPORT"}
    )

    assert parsed == rules.ExportTariffRule("pde-tou-export", "EVSE_EXPORT", pay_estimated=False)


def test_export_tariff_needs_a_plan_and_an_export_channel():
    assert problems("EXPORT_TARIFF", {"channel_kind": "SITE_IMPORT", "pay_estimated": "yes"}) == {
        "parameters.plan": "required",
        "parameters.channel_kind": "'SITE_IMPORT' is not one of SITE_EXPORT, EVSE_EXPORT",
        "parameters.pay_estimated": "must be true or false, not 'yes'",
    }


def test_accepted_offer_with_a_shortfall_rule():
    parsed = rules.parse_parameters(
        "ACCEPTED_OFFER",
        {
            "channel_kind": "SITE_EXPORT",
            "shortfall": {"price_per_kwh": "0.25", "below_share": "0.9"},
        },
    )

    assert parsed == rules.AcceptedOfferRule(
        "SITE_EXPORT", rules.Shortfall(Decimal("0.25"), Decimal("0.9"))
    )


def test_a_shortfall_share_must_be_a_share():
    assert problems(
        "ACCEPTED_OFFER",
        {"channel_kind": "SITE_EXPORT", "shortfall": {"price_per_kwh": "x", "below_share": "1.5"}},
    ) == {
        "parameters.shortfall.price_per_kwh": "'x' is not a decimal number",
        "parameters.shortfall.below_share": "must be at most 1, not 1.5",
    }


def test_event_incremental_defaults():
    parsed = rules.parse_parameters(
        "EVENT_INCREMENTAL",
        {
            "channel_kind": "EVSE_EXPORT",
            "baseline": {
                "method": "X_OF_Y",
                "weekday": {"days": 10, "of_days": 10},
                "weekend_holiday": {"days": 4, "of_days": 4},
            },
        },
    )

    assert isinstance(parsed, rules.EventIncrementalRule)
    assert parsed.price_per_kwh is None  # the event's EXPORT_PRICE decides
    assert parsed.negative_hours is rules.NegativeHours.ZERO
    assert (parsed.pay_test_events, parsed.minimum_payment, parsed.adjustment) == (
        False,
        Decimal(0),
        None,
    )
    assert parsed.baseline.weekday == rules.baselines.PoolRule(10, 10, 10)
    assert parsed.baseline.max_incomplete_share == Decimal("0.10")


def test_event_incremental_needs_its_baseline_method():
    assert problems("EVENT_INCREMENTAL", {"channel_kind": "EVSE_EXPORT"}) == {
        "parameters.baseline": "required"
    }


def test_a_top_n_pool_must_fit_its_window():
    assert problems(
        "EVENT_INCREMENTAL",
        {
            "channel_kind": "EVSE_EXPORT",
            "baseline": {
                "method": "TOP_N_OF_M",
                "weekday": {"days": 6, "of_days": 5, "min_days": 7},
                "weekend_holiday": {"days": 3, "of_days": 5, "min_days": 2, "extra": 1},
            },
            "adjustment": {"hours_before": 0, "min_factor": "1.4", "max_factor": "1.0"},
        },
    ) == {
        "parameters.baseline.weekday.days": "must be at most of_days (5), not 6",
        "parameters.baseline.weekday.min_days": "must be at most of_days (5), not 7",
        "parameters.baseline.weekend_holiday.min_days": "must be at least days (3), not 2",
        "parameters.baseline.weekend_holiday.extra": "unknown field",
        "parameters.adjustment.hours_before": "must be at least 1, not 0",
        "parameters.adjustment.max_factor": "must be at least min_factor (1.4), not 1.0",
    }


def test_seasonal_capacity_needs_a_positive_price_and_months():
    assert problems(
        "SEASONAL_CAPACITY",
        {"channel_kind": "SITE_EXPORT", "price_per_kw": "0", "season_months": []},
    ) == {
        "parameters.price_per_kw": "must be greater than 0, not 0",
        "parameters.season_months": "must be a non-empty list of months 1-12, not []",
    }
    parsed = rules.parse_parameters(
        "SEASONAL_CAPACITY",
        {"channel_kind": "SITE_EXPORT", "price_per_kw": "225", "season_months": [8, 6, 7]},
    )
    assert parsed == rules.SeasonalCapacityRule("SITE_EXPORT", Decimal(225), (6, 7, 8))


def test_availability_windows_are_local_times():
    parsed = rules.parse_parameters(
        "AVAILABILITY",
        {"amount": "10", "windows_per_month": 15, "window_start": "18:00", "window_end": "05:00"},
    )

    assert parsed == rules.AvailabilityRule(Decimal(10), 15, time(18), time(5))
    assert problems(
        "AVAILABILITY",
        {"amount": "10", "windows_per_month": 32, "window_start": "6pm", "window_end": "18:00"},
    ) == {
        "parameters.windows_per_month": "must be at most 31, not 32",
        "parameters.window_start": "'6pm' is not a local time HH:MM",
    }


def test_a_milestone_one_off_names_its_milestone():
    assert problems("ONE_OFF", {"amount": "50", "trigger": "MILESTONE"}) == {
        "parameters.milestone": "required"
    }
    assert problems(
        "ONE_OFF", {"amount": "50", "trigger": "ENROLLMENT", "milestone": "first event"}
    ) == {"parameters.milestone": "only a MILESTONE trigger names a milestone"}
    parsed = rules.parse_parameters(
        "ONE_OFF",
        {"amount": "50", "trigger": "MILESTONE", "milestone": "first event", "max_payments": 2},
    )
    assert parsed == rules.OneOffRule(Decimal(50), rules.OneOffTrigger.MILESTONE, "first event", 2)


def test_event_constraints_check_their_own_consistency():
    assert problems(
        "EVENT_CONSTRAINTS",
        {
            "earliest_start": "21:00",
            "latest_end": "16:00",
            "min_duration_minutes": 300,
            "max_duration_minutes": 60,
            "kinds": ["SOMETIMES"],
        },
    ) == {
        "parameters.max_duration_minutes": "must be at least min_duration_minutes (300)",
        "parameters.latest_end": "must be after earliest_start (21:00)",
        "parameters.kinds": "must be a non-empty list of EMERGENCY, ECONOMIC, TEST",
    }


def test_floats_and_booleans_are_not_numbers():
    assert problems("ONE_OFF", {"amount": 50.5, "trigger": "ENROLLMENT", "max_payments": True}) == {
        "parameters.amount": 'must be a decimal string such as "2.00", not 50.5',
        "parameters.max_payments": "must be a whole number, not True",
    }


def test_an_unknown_kind_and_parameters_that_are_not_an_object():
    assert problems("BONUS", {}) == {
        "kind": "'BONUS' is not one of " + ", ".join(kind.value for kind in RuleKind)
    }
    assert problems("ONE_OFF", []) == {"parameters": "must be an object"}


FORTY_NINES = "9" * 40


def test_money_parameters_must_be_finite_bounded_and_at_ledger_places():
    # "1e999" is a finite Decimal (10^999), 40 nines is a 40-digit amount: neither fits the
    # ledger (integer cents) nor the statement columns, and a run would crash storing them.
    # Amounts carry cents (2 places), prices 5 places (the statement line's price column),
    # both below their ceilings (docs/settlement.md).
    assert problems("ONE_OFF", {"amount": "1e999", "trigger": "ENROLLMENT"}) == {
        "parameters.amount": "must be below 1000000 (dollars), not 1E+999"
    }
    assert problems(
        "EVENT_INCREMENTAL",
        {
            "channel_kind": "EVSE_EXPORT",
            "price_per_kwh": FORTY_NINES,
            "per_event_cap": "10.001",
            "minimum_payment": "0.000000000000000000000000000001",
            "baseline": {
                "method": "X_OF_Y",
                "weekday": {"days": 10, "of_days": 10},
                "weekend_holiday": {"days": 4, "of_days": 4},
            },
        },
    ) == {
        "parameters.price_per_kwh": f"must be below 10000 (dollars), not {FORTY_NINES}",
        "parameters.per_event_cap": "must have at most 2 decimal places, not 10.001",
        "parameters.minimum_payment": "must have at most 2 decimal places, not 1E-30",
    }
    assert problems(
        "SEASONAL_CAPACITY",
        {"channel_kind": "EVSE_EXPORT", "price_per_kw": "1e999", "season_months": [7]},
    ) == {"parameters.price_per_kw": "must be below 10000 (dollars), not 1E+999"}


def test_money_parameters_at_the_bounds_are_accepted():
    parsed = rules.parse_parameters("ONE_OFF", {"amount": "999999.99", "trigger": "ENROLLMENT"})

    assert parsed.amount == Decimal("999999.99")
