"""Shared fixtures of the metering tests: a site with channels, media in a temp dir."""

import datetime as dt
import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import Channel, Site
from settlement.metering.models import ProgramMeteringSettings
from tests.factories import (
    ChannelFactory,
    ChargerFactory,
    EnrollmentFactory,
    ProgramFactory,
    SiteFactory,
)

FIXTURES = Path(__file__).parent / "fixtures"
# The meter data files the format tests parse, ingested here end to end (one copy each).
METERING = FIXTURES / "meter_data"
SAMPLES = FIXTURES / "samples"
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def site(db) -> Site:
    """A Los Angeles site enrolled from 2024-01-01 with a revenue meter SITE-7."""
    site = SiteFactory(account_number="ACCT-7", timezone="America/Los_Angeles")
    EnrollmentFactory(site=site, starts_on=dt.date(2024, 1, 1))
    ChannelFactory(site=site, meter_id="SITE-7", kind=Channel.Kind.SITE_EXPORT)
    ChannelFactory(site=site, meter_id="SITE-7", kind=Channel.Kind.SITE_IMPORT)
    return site


@pytest.fixture
def charger_meter(site: Site) -> str:
    """A 11.5 kW charger CP-1 at the site with its own export and import channels."""
    charger = ChargerFactory(site=site, external_id="CP-1", max_discharge_kw=Decimal("11.5"))
    for kind in (Channel.Kind.EVSE_EXPORT, Channel.Kind.EVSE_IMPORT):
        ChannelFactory(site=site, meter_id="CP-1", kind=kind, charger=charger)
    return "CP-1"


@pytest.fixture
def other_site(db) -> Site:
    """Someone else's site with meter OTHER-1."""
    site = SiteFactory(account_number="ACCT-OTHER", timezone="America/Los_Angeles")
    EnrollmentFactory(site=site, starts_on=dt.date(2024, 1, 1))
    ChannelFactory(site=site, meter_id="OTHER-1", kind=Channel.Kind.SITE_EXPORT)
    return site


@pytest.fixture
def program_settings(site: Site):
    """Make the site's program estimate gaps of up to `minutes` (returns a setter)."""

    def set_minutes(minutes: int) -> None:
        program = site.enrollments.get().program
        ProgramMeteringSettings.objects.update_or_create(
            program=program, defaults={"interpolate_gaps_up_to_minutes": minutes}
        )

    return set_minutes


def canonical(*rows: str) -> bytes:
    """Return a canonical CSV file with the given data rows."""
    header = "meter_id,start,end,export_wh,import_wh,quality"
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.fixture
def run_ingest(tmp_path) -> Callable[..., tuple[int, dict]]:
    """Run `manage.py ingest` on bytes or a path; return (exit code, summary)."""

    def run(content: bytes | Path, *args: str, name: str = "upload.dat") -> tuple[int, dict]:
        if isinstance(content, Path):
            path = content
        else:
            path = tmp_path / name
            path.write_bytes(content)
        out = io.StringIO()
        code = 0
        try:
            call_command("ingest", str(path), *args, stdout=out)
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        return code, json.loads(out.getvalue())

    return run


@pytest.fixture
def make_program():
    return ProgramFactory
