"""`invite_owners [--program CODE] [--resend]`: email owners who never set a password."""

from argparse import ArgumentParser
from typing import Any

from django.utils import timezone

from accounts import operations
from settlement import commands


class Command(commands.JsonCommand):
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

    def run(self, **options: Any) -> object:
        summary = operations.invite_owners(
            program_code=options["program"], resend=options["resend"], now=timezone.now()
        )
        return summary.as_dict()
