"""The rules a program, channel or enrollment must meet however it is written.

The database enforces what it can (constraints in `accounts.models`); these checks cover the
rest and are the one validation the enrollment import, the operations, the admin and the API
call. Each raises `RuleBroken` naming the field at fault and why.
"""

import datetime as dt
import re
from typing import Final

from babel.numbers import is_currency

from accounts import channel_kinds, queries
from accounts.models import Channel, Charger, Participant, Program, Site
from accounts.timezones import is_valid_timezone
from settlement.errors import DomainError

PROGRAM_CODE: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class RuleBroken(DomainError):
    """A row would break a rule of the enrollment model."""

    code = "rule_broken"

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason, details={"field": field_name, "reason": reason})
        self.field_name = field_name
        self.reason = reason


def check_program(*, code: str, timezone: str, currency: str) -> None:
    """Raise RuleBroken unless the code is a slug, the zone IANA and the currency ISO 4217."""
    if not PROGRAM_CODE.fullmatch(code):
        raise RuleBroken(
            "code",
            f"{code!r} is not a program code: lower-case letters and digits, "
            "words joined by single hyphens (e.g. nbt-export)",
        )
    if not is_valid_timezone(timezone):
        raise RuleBroken("timezone", f"{timezone!r} is not an IANA time zone")
    if not is_currency(currency):
        raise RuleBroken("currency", f"{currency!r} is not an ISO 4217 currency code")


def check_channel(
    *, site: Site, meter_id: str, kind: str, charger: Charger | None, channel_id: int | None
) -> None:
    """Raise RuleBroken unless the channel fits its meter, its charger and its site.

    A meter is either a revenue meter (SITE_* channels) or a charger's sub-meter (EVSE_*),
    all its channels at one site; a charger sub-meter names a charger installed at that site
    (so it belongs to the site's participant); a revenue meter names none.
    """
    evse = kind in channel_kinds.EVSE_KINDS
    if evse and charger is None:
        raise RuleBroken("charger", f"a {kind} channel needs the charger it measures")
    if not evse and charger is not None:
        raise RuleBroken("charger", f"a {kind} channel (revenue meter) has no charger")
    if charger is not None and charger.site_id != site.pk:
        raise RuleBroken(
            "charger",
            f"charger {charger.external_id} is installed at site "
            f"{charger.site.account_number}, not at {site.account_number}",
        )
    siblings = Channel.objects.filter(meter_id=meter_id)
    if channel_id is not None:
        siblings = siblings.exclude(pk=channel_id)
    for sibling in siblings.select_related("site"):
        if (sibling.kind in channel_kinds.EVSE_KINDS) != evse:
            raise RuleBroken(
                "kind",
                f"meter {meter_id} already has a {sibling.kind} channel; a meter is either "
                "a revenue meter (SITE_*) or a charger sub-meter (EVSE_*)",
            )
        if sibling.site_id != site.pk:
            raise RuleBroken(
                "meter_id", f"meter {meter_id} is at site {sibling.site.account_number}"
            )


class ExclusiveEnrollment(RuleBroken):
    """The participant is already enrolled in a program that excludes this one."""

    code = "exclusive_enrollment"
    http_status = 409


def check_enrollment(
    *,
    participant: Participant,
    site: Site,
    program: Program,
    starts_on: dt.date,
    ends_on: dt.date | None,
    enrollment_id: int | None,
) -> None:
    """Raise RuleBroken unless the site is the participant's and in the program's time zone,
    and ExclusiveEnrollment when an overlapping enrollment is in a program excluding this one.

    A site in another zone would be priced by the program's tariffs at the wrong local hours.
    Exclusivity is only race-free under the participant's row lock (`operations.enroll`).
    """
    if site.participant_id != participant.pk:
        raise RuleBroken("site", f"site {site.account_number} belongs to another participant")
    if site.timezone != program.timezone:
        raise RuleBroken(
            "timezone",
            f"site {site.account_number} is in {site.timezone} but program {program.code} "
            f"is in {program.timezone}; a site can only enroll in a program of its own zone",
        )
    conflicts = queries.overlapping_exclusive_enrollments(
        participant=participant, program=program, starts_on=starts_on, ends_on=ends_on
    )
    if enrollment_id is not None:
        conflicts = conflicts.exclude(pk=enrollment_id)
    conflict = conflicts.first()
    if conflict is not None:
        raise ExclusiveEnrollment(
            "program",
            f"{participant.email} is enrolled in {conflict.program.code}, "
            f"which excludes {program.code}",
        )


def check_site_timezone(*, site: Site, timezone: str) -> None:
    """Raise RuleBroken unless `timezone` is IANA and the zone of every program `site` is in."""
    if not is_valid_timezone(timezone):
        raise RuleBroken("timezone", f"{timezone!r} is not an IANA time zone")
    if site.pk is None:
        return
    other = site.enrollments.exclude(program__timezone=timezone).select_related("program").first()
    if other is not None:
        raise RuleBroken(
            "timezone",
            f"site {site.account_number} is enrolled in {other.program.code}, which is in "
            f"{other.program.timezone}; a site can only enroll in a program of its own zone",
        )
