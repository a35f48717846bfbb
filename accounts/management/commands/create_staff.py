"""`create_staff --email E --role ROLE [--role ...]`: a staff account without a shell."""

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts import operations, roles
from settlement.errors import DomainError, error_body


class Command(BaseCommand):
    help = (
        "Create or update a staff user (active, staff, never a superuser) holding exactly the "
        "given roles, and email the set-your-password invitation to one that has no password; "
        "prints a JSON summary."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--email", required=True)
        # No `choices=`: argparse would exit with its own message and status, not the one
        # error body every command prints.
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            help=f"one of {', '.join(roles.ROLE_CODES)}; repeat for several",
        )
        parser.add_argument("--name", default="", help="the person's full name")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = operations.save_staff_member(
                email=options["email"],
                role_codes=options["role"],
                full_name=options["name"],
                granted_by=None,
                now=timezone.now(),
            )
        except DomainError as exc:
            body = error_body(code=exc.code, message=exc.message, details=exc.details)
            self.stdout.write(json.dumps(body))
            sys.exit(2)
        self.stdout.write(json.dumps(summary.as_dict()))
