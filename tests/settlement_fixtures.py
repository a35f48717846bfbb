"""A program paying exports by a two-period TOU tariff, and readings made for it.

The tariff (America/Los_Angeles): Peak 16:00-21:00 local every day at $0.30000/kWh,
Off-peak every other hour at $0.05000/kWh.
"""

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.management import call_command

from accounts.models import Channel, Participant, Program
from settlement.programs import operations as program_operations
from settlement.rating.tariff import HourlyVectorTariff, TouPeriod, TouTariff
from settlement.statements.models import ProgramSettlementSettings
from settlement.tariffs import definitions
from settlement.tariffs.models import TariffPlan, TariffVersion
from tests.factories import ChannelFactory, EnrollmentFactory, ProgramFactory, SiteFactory

LA = "America/Los_Angeles"
ZONE = ZoneInfo(LA)
PEAK_HOURS = range(16, 21)
CREATED = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
OFF_PEAK_PRICE = Decimal("0.05000")
PEAK_PRICE = Decimal("0.30000")


def tou_tariff(peak: Decimal = PEAK_PRICE, off_peak: Decimal = OFF_PEAK_PRICE) -> TouTariff:
    row = tuple(1 if hour in PEAK_HOURS else 0 for hour in range(24))
    schedule = tuple(row for _ in range(12))
    return TouTariff(
        time_zone=LA,
        periods=(TouPeriod("Off-peak", off_peak), TouPeriod("Peak", peak)),
        weekday_schedule=schedule,
        weekend_schedule=schedule,
    )


def make_program(
    code: str = "nbt-export",
    timezone: str = LA,
    *,
    pay_estimated: bool = False,
    tariff: TouTariff | HourlyVectorTariff | None = None,
) -> Program:
    program = ProgramFactory(code=code, timezone=timezone)
    plan = TariffPlan.objects.create(
        code=f"{code}-tou", name="Export TOU", timezone=LA, created_at=CREATED
    )
    TariffVersion.objects.create(
        plan=plan,
        version=1,
        kind=definitions.kind_of(tariff or tou_tariff()),
        definition=definitions.to_json(tariff or tou_tariff()),
        effective_from=dt.date(2025, 1, 1),
        source_format="URDB",
        source_sha256="0" * 64,
        created_at=CREATED,
    )
    program_operations.save_rule_set(
        program=program,
        given=program_operations.RuleSetInput(
            effective_from=dt.date(2025, 1, 1),
            effective_to=None,
            rules=(
                program_operations.RuleInput(
                    "export-tariff",
                    "EXPORT_TARIFF",
                    {
                        "plan": plan.code,
                        "channel_kind": "SITE_EXPORT",
                        "pay_estimated": pay_estimated,
                    },
                ),
            ),
        ),
    )
    return program


def enroll(
    program: Program, email: str, meter_id: str, *, timezone: str = LA
) -> tuple[Participant, Channel]:
    site = SiteFactory(participant__email=email, timezone=timezone)
    EnrollmentFactory(site=site, program=program, starts_on=dt.date(2025, 1, 1))
    channel = ChannelFactory(site=site, meter_id=meter_id, kind=Channel.Kind.SITE_EXPORT)
    return site.participant, channel


def hourly_rows(
    meter_id: str, day: dt.date, days: int, wh_of_hour, quality_of_hour=lambda local: ""
) -> list[str]:
    """Canonical CSV rows for every local hour of `days` days from `day`."""
    rows = []
    start = dt.datetime.combine(day, dt.time(0), tzinfo=ZONE).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=days), dt.time(0), tzinfo=ZONE).astimezone(
        dt.UTC
    )
    moment = start
    while moment < end:
        local = moment.astimezone(ZONE)
        following = moment + dt.timedelta(hours=1)
        rows.append(
            f"{meter_id},{moment.isoformat()},{following.isoformat()},"
            f"{wh_of_hour(local)},,{quality_of_hour(local)}"
        )
        moment = following
    return rows


def ingest_rows(tmp_path: Path, rows: list[str], name: str = "readings.csv") -> dict:
    header = "meter_id,start,end,export_wh,import_wh,quality"
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n")
    out = io.StringIO()
    call_command("ingest", str(path), stdout=out)
    return json.loads(out.getvalue())


def run_command(name: str, *args: str) -> tuple[int, dict]:
    out = io.StringIO()
    code = 0
    try:
        call_command(name, *args, stdout=out)
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, json.loads(out.getvalue())


def peak_or_off_peak(peak_wh: int, off_peak_wh: int):
    return lambda local: peak_wh if local.hour in PEAK_HOURS else off_peak_wh


def tou_plan(code: str) -> TariffPlan:
    """Return plan `code` in Los Angeles with one version from 2025: `tou_tariff()`."""
    plan = TariffPlan.objects.create(code=code, name="Export TOU", timezone=LA, created_at=CREATED)
    TariffVersion.objects.create(
        plan=plan,
        version=1,
        kind="TOU",
        definition=definitions.to_json(tou_tariff()),
        effective_from=dt.date(2025, 1, 1),
        source_format="URDB",
        source_sha256="0" * 64,
        created_at=CREATED,
    )
    return plan


def offer_program(offer_parameters: dict[str, object] | None = None) -> Program:
    """Program `offers` in Los Angeles: exports by the TOU tariff on the sub-meter
    (EVSE_EXPORT) and an ACCEPTED_OFFER rule with `offer_parameters` (the channel kind is
    added); two approvals only above $10,000."""
    program = ProgramFactory(code="offers", name="Offers", timezone=LA)
    plan = tou_plan("offers-tou")
    program_operations.import_rules(
        program_code=program.code,
        document={
            "effective_from": "2025-01-01",
            "rules": [
                {
                    "name": "export",
                    "kind": "EXPORT_TARIFF",
                    "parameters": {"plan": plan.code, "channel_kind": "EVSE_EXPORT"},
                },
                {
                    "name": "offer",
                    "kind": "ACCEPTED_OFFER",
                    "parameters": {"channel_kind": "EVSE_EXPORT", **(offer_parameters or {})},
                },
            ],
        },
    )
    ProgramSettlementSettings.objects.create(program=program, two_approver_amount=Decimal(10_000))
    return program
