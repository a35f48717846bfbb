"""Owners made the way production makes them: a row of the utility's enrollment file."""

import datetime as dt
import io

from accounts import operations
from accounts.enrollment_file import read_enrollment_file
from accounts.models import User

HEADER = (
    "participant_email,participant_name,participant_kind,program_code,site_account,"
    "site_timezone,meter_id,channel_kind,charger_id,charger_max_kw,enrollment_start"
)
IMPORTED_AT = dt.datetime(2025, 2, 20, 17, tzinfo=dt.UTC)


def import_owner(
    *,
    email: str,
    name: str,
    program_code: str,
    site_account: str,
    meter_id: str,
    timezone: str = "America/Los_Angeles",
) -> User:
    """Return the owner account an enrollment import creates for one revenue-meter row.

    The program must exist (it is in `timezone`). The invitation email is sent when the
    row's transaction commits.
    """
    row = (
        f"{email},{name},INDIVIDUAL,{program_code},{site_account},{timezone},{meter_id},"
        "SITE_EXPORT,,,2025-03-01"
    )
    stream = io.BytesIO(f"{HEADER}\n{row}\n".encode())
    summary = operations.import_enrollments(rows=read_enrollment_file(stream), now=IMPORTED_AT)
    assert summary.rejected == 0, summary.as_dict()
    return User.objects.get(email=email)
