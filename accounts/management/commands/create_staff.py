"""`create_staff --email E --role ROLE [--role ...]`: a staff account without a shell."""

from argparse import ArgumentParser
from typing import Any

from django.utils import timezone

from accounts import operations, roles
from settlement import commands


class Command(commands.JsonCommand):
    help = (
        "Create or update a staff user (active, staff, never a superuser) holding exactly the "
        "given roles, and email the set-your-password invitation to one that has no password; "
        "prints a JSON summary."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--email", required=True)
        # No `choices=`: the operation names every unknown role in the one error body.
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            help=f"one of {', '.join(roles.ROLE_CODES)}; repeat for several",
        )
        parser.add_argument("--name", default="", help="the person's full name")

    def run(self, **options: Any) -> object:
        summary = operations.save_staff_member(
            email=options["email"],
            role_codes=options["role"],
            full_name=options["name"],
            granted_by=None,
            now=timezone.now(),
        )
        return summary.as_dict()
