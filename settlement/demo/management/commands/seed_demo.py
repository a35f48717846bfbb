"""`seed_demo [--migrate]`: load the demo data set (idempotent) and print the logins as JSON."""

import sys
from argparse import ArgumentParser
from typing import Any

from django.utils import timezone

from settlement import commands
from settlement.demo import schema, seed


class Command(commands.JsonCommand):
    help = "Create demo programs, owners, a school-bus fleet and staff users; prints logins."
    indent = 2

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--migrate",
            action="store_true",
            help=(
                "bring the database up to date first, in this process (make run: one start-up,"
                " not two); a new SQLite database gets its tables in one pass"
            ),
        )

    def run(self, **options: Any) -> object:
        if options["migrate"]:
            # Progress to stderr: stdout carries only the JSON summary.
            schema.migrate(stdout=sys.stderr)
        return seed.seed_demo(now=timezone.now())
