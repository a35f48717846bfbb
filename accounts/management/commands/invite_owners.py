"""`invite_owners [--program CODE] [--resend]`: email owners who never set a password."""

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts import operations


class Command(BaseCommand):
    help = (
        "Send the set-your-password invitation to enrolled owners who have none yet; "
        "prints a JSON summary."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--program", help="only owners enrolled in this program")
        parser.add_argument(
            "--resend",
            action="store_true",
            help="also owners invited before (their earlier links stop working)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = operations.invite_owners(
            program_code=options["program"], resend=options["resend"], now=timezone.now()
        )
        self.stdout.write(json.dumps(summary.as_dict()))
