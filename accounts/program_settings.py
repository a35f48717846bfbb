"""Saving one section of a program's settings: the role, the lock, validation and the audit row.

Each section's model lives in its own app (review thresholds in statements, payouts in
payouts, meter data in metering); each app's operation passes its row here, so the rules of
who may change settings and how a change is recorded are written once.
"""

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction

from accounts import operations
from accounts.models import Program, ProgramSettingsChange, User
from settlement.errors import DomainError
from settlement.outcomes import Outcome

Row = TypeVar("Row", bound=models.Model)


class SettingsInvalid(DomainError):
    """A value is refused; `details` maps each refused field to its reasons."""

    code = "settings_invalid"


def _plain(value: object) -> object:
    # Decimals are stored and shown as text, so 500.00 stays 500.00 in the audit row.
    return str(value) if isinstance(value, Decimal) else value


def save_section(
    *,
    program: Program,
    section: ProgramSettingsChange.Section,
    model: type[Row],
    values: Mapping[str, object],
    problems: Mapping[str, list[str]],
    changed_by: User,
    now: dt.datetime,
) -> tuple[Row, Outcome]:
    """Return the program's `model` row holding `values`, and whether that changed anything.

    Under the program's row lock: `changed_by` must administer programs, the row is created
    with its defaults when missing, the values are checked by the model's own validators and
    constraints (`full_clean`) beside the section's own `problems`, and a change writes one
    `ProgramSettingsChange`. Raises
    NotProgramAdministrator or SettingsInvalid (naming every refused field); nothing is saved.
    """
    operations.require_program_administrator(user=changed_by)
    with transaction.atomic():
        Program.objects.select_for_update().get(pk=program.pk)
        row = model._default_manager.filter(program=program).first()
        created = row is None
        if row is None:
            row = model(program=program)
        before = {} if created else {name: _plain(getattr(row, name)) for name in values}
        for name, value in values.items():
            setattr(row, name, value)
        refused = {field: list(reasons) for field, reasons in problems.items()}
        try:
            # The section's own checks name the fields the check constraints guard; with
            # those refused already, the constraints would only repeat them unnamed.
            row.full_clean(validate_constraints=not refused)
        except ValidationError as exc:
            for field, reasons in exc.message_dict.items():
                refused.setdefault(field, []).extend(reasons)
        if refused:
            raise SettingsInvalid(
                "; ".join(f"{field}: {' '.join(reasons)}" for field, reasons in refused.items()),
                details={"fields": refused},
            )
        after = {name: _plain(getattr(row, name)) for name in values}
        if not created and after == before:
            return row, Outcome.UNCHANGED
        row.save()
        ProgramSettingsChange.objects.create(
            program=program,
            section=section,
            changed_by=changed_by,
            changed_at=now,
            before=before,
            after=after,
        )
        return row, Outcome.CREATED if created else Outcome.UPDATED
