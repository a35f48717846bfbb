"""Build the demo data set through the same operations the real imports use."""

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Final

from django.contrib.auth import hashers
from django.db import transaction

from accounts import operations, roles
from accounts.enrollment_file import EnrollmentRow
from accounts.models import User
from settlement.demo import events as demo_events
from settlement.demo import settlement as settlement_demo
from settlement.demo.payouts import seed_payouts
from settlement.metering import operations as metering_operations
from settlement.programs import operations as program_operations
from settlement.tariffs import sources

UTILITY: Final = "Pacific Demo Electric"
TIMEZONE: Final = "America/Los_Angeles"
EXPORT_PROGRAM: Final = "nbt-export"
EVENT_PROGRAM: Final = "elrp-v2g"
OWNER_COUNT: Final = 25
BUS_COUNT: Final = 8
DEMO_PASSWORD: Final = "v2g-demo-pass"  # noqa: S105 - printed for the demo, never in production
FLEET_EMAIL: Final = "fleet@valley-usd.example.org"
STAFF: Final = (
    ("reviewer@utility.example.com", "Riley Reviewer", roles.REVIEWER),
    ("approver@utility.example.com", "Avery Approver", roles.APPROVER),
    # A second approver: a statement at or above the two-approver amount (the fleet's) needs
    # two different people to approve it.
    ("approver2@utility.example.com", "Jordan Approver", roles.APPROVER),
    ("programs@utility.example.com", "Pat Programs", roles.PROGRAM_ADMINISTRATOR),
)
ENROLLED_ON: Final = dt.date(2025, 1, 1)
# A week of exports in July 2025, starting at local midnight (07:00 UTC) on Monday the 14th.
DEMO_WEEK_START: Final = dt.datetime(2025, 7, 14, 7, tzinfo=dt.UTC)
DEMO_DAYS: Final = 7
EXPORT_TARIFF: Final = "pde-tou-export"
# A URDB-shaped summer/winter TOU rate with export (sell) prices, in force over 2025. It ships
# with the package (not under tests/) so a deployment without the tests can still seed.
EXPORT_TARIFF_FILE: Final = Path(__file__).resolve().parent / "data" / "pde_tou_export_urdb.json"


@dataclass(frozen=True)
class Login:
    """A demo login to print."""

    email: str
    password: str
    role: str


def seed_demo(*, now: dt.datetime) -> dict[str, object]:
    """Create (or leave as they are) the demo programs, participants, staff and a week of
    exports; return a summary."""
    with transaction.atomic():
        groups = operations.ensure_staff_roles()
        for code, name in (
            (EXPORT_PROGRAM, "Net billing export credits"),
            (EVENT_PROGRAM, "Emergency load reduction, V2G sub-group"),
        ):
            operations.create_program(
                code=code, name=name, utility=UTILITY, timezone=TIMEZONE, now=now
            )
        # Demo owners get the demo password below, so they are not sent invitations.
        summary = operations.import_enrollments(rows=_demo_rows(), now=now, invite=False)
        tariff = program_operations.import_program_tariff(
            data=EXPORT_TARIFF_FILE.read_bytes(),
            source_format=sources.SourceFormat.URDB,
            code=EXPORT_TARIFF,
            source_name=EXPORT_TARIFF_FILE.name,
            program_code=EXPORT_PROGRAM,
            now=now,
        )
        logins = [Login(f"owner{1:02d}@example.com", DEMO_PASSWORD, "EV owner")]
        logins.append(Login(FLEET_EMAIL, DEMO_PASSWORD, "fleet operator (8 school buses)"))
        for email, full_name, role in STAFF:
            user = _ensure_staff_user(email, full_name, now)
            user.groups.add(groups[role])
            logins.append(Login(email, DEMO_PASSWORD, f"staff: {role}"))
        # Hashing is slow on purpose (about 0.4 s each); every demo login has the same
        # password, so it is hashed once and the one hash is given to all 29 users.
        _ensure_password(
            emails=[f"owner{n:02d}@example.com" for n in range(1, OWNER_COUNT + 1)]
            + [FLEET_EMAIL]
            + [email for email, _, _ in STAFF],
            password=hashers.make_password(DEMO_PASSWORD),
        )
    # After the enrollment transaction: ingestion keeps its own transactions. The same file
    # again is recognized as a duplicate upload, so seeding twice adds no readings.
    exports = metering_operations.ingest(
        stream=io.BytesIO(demo_export_week()),
        filename="demo-export-week.csv",
        now=now,
        format="canonical-csv",
    )
    events = demo_events.seed_events(program_code=EVENT_PROGRAM, now=now)
    # Settled before the payouts: the payout pays the statement July's export run released
    # (the event program's approved statement waits for its release).
    settlement = settlement_demo.settle_demo_month(
        program_code=EXPORT_PROGRAM, now=now, release=True
    )
    event_settlement = settlement_demo.settle_demo_month(
        program_code=EVENT_PROGRAM,
        now=now,
        reason="Demo: both July events measured against a full baseline",
    )
    payouts = seed_payouts(now=now)
    return {
        "payouts": payouts,
        "programs": [EXPORT_PROGRAM, EVENT_PROGRAM],
        "events": events,
        "rows": summary.as_dict(),
        "tariffs": [tariff.as_dict()],
        "readings": {
            "upload_id": exports.upload.pk,
            "duplicate_upload": exports.duplicate_upload,
            "accepted": exports.upload.accepted,
        },
        "logins": [login.__dict__ for login in logins],
        "settlement": settlement,
        "event_settlement": event_settlement,
    }


def demo_export_week() -> bytes:
    """Return a canonical CSV: a week of quarter-hour exports on every owner's revenue meter.

    The cars discharge in the evening peak, 17:00-21:00 Pacific daylight time (00:00-04:00
    UTC the next day), at 10 kW less 100 W per owner number: 2,500 Wh - 25 Wh x n per
    quarter-hour; the rest of the day a home solar trickle of 40 Wh per quarter-hour.
    """
    lines = ["meter_id,start,end,export_wh,import_wh,quality"]
    quarter = dt.timedelta(minutes=15)
    for number in range(1, OWNER_COUNT + 1):
        for step in range(DEMO_DAYS * 96):
            start = DEMO_WEEK_START + step * quarter
            evening = start.hour < 4  # 17:00-21:00 PDT
            wh = 2500 - 25 * number if evening else 40
            lines.append(
                f"RM-{100000 + number},{start.isoformat()},{(start + quarter).isoformat()},{wh},,"
            )
    return ("\n".join(lines) + "\n").encode()


def _demo_rows() -> list[EnrollmentRow]:
    rows = []
    line = 1
    for number in range(1, OWNER_COUNT + 1):
        email = f"owner{number:02d}@example.com"
        site = f"PDE-{100000 + number}"
        revenue_meter = f"RM-{100000 + number}"
        charger = f"EVSE-{100000 + number}"
        channels = [
            (revenue_meter, "SITE_EXPORT", "", None),
            (revenue_meter, "SITE_IMPORT", "", None),
            (f"SM-{100000 + number}", "EVSE_EXPORT", charger, Decimal("11.5")),
        ]
        program = EXPORT_PROGRAM if number % 5 else EVENT_PROGRAM
        for meter, kind, charger_id, max_kw in channels:
            line += 1
            rows.append(
                EnrollmentRow(
                    line=line,
                    participant_email=email,
                    participant_name=f"Demo Owner {number:02d}",
                    participant_kind="INDIVIDUAL",
                    program_code=program,
                    site_account=site,
                    site_timezone=TIMEZONE,
                    meter_id=meter,
                    channel_kind=kind,
                    charger_id=charger_id,
                    charger_max_kw=max_kw,
                    enrollment_start=ENROLLED_ON,
                )
            )
    for bus in range(1, BUS_COUNT + 1):
        for kind in ("EVSE_EXPORT", "EVSE_IMPORT"):
            line += 1
            rows.append(
                EnrollmentRow(
                    line=line,
                    participant_email=FLEET_EMAIL,
                    participant_name="Valley Unified School District",
                    participant_kind="ORGANIZATION",
                    program_code=EVENT_PROGRAM,
                    site_account="PDE-DEPOT-1",
                    site_timezone=TIMEZONE,
                    meter_id=f"BUS-DC-{bus:02d}",
                    channel_kind=kind,
                    charger_id=f"DEPOT-DC-{bus:02d}",
                    charger_max_kw=Decimal(60),
                    enrollment_start=ENROLLED_ON,
                )
            )
    return rows


def _ensure_password(*, emails: list[str], password: str) -> None:
    """Give the users of `emails` who have no usable password the hashed demo `password`."""
    User.objects.filter(
        email__in=emails, password__startswith=hashers.UNUSABLE_PASSWORD_PREFIX
    ).update(password=password)


def _ensure_staff_user(email: str, full_name: str, now: dt.datetime) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        # Without a password here: `_ensure_password` gives it the one hashed demo password.
        user = User.objects.create_user(email, full_name=full_name, is_staff=True, date_joined=now)
    return user
