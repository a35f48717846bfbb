"""`seed_demo [--migrate]`: load the demo data set (idempotent) and print the logins as JSON."""

import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management import call_command
from django.utils import timezone

from settlement import commands
from settlement.demo import seed


class Command(commands.JsonCommand):
    help = "Create demo programs, owners, a school-bus fleet and staff users; prints logins."
    indent = 2

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--migrate",
            action="store_true",
            help="apply migrations first, in this process (make run: one start-up, not two)",
        )

    def run(self, **options: Any) -> object:
        if options["migrate"]:
            # Progress to stderr: stdout carries only the JSON summary.
            call_command("migrate", interactive=False, stdout=sys.stderr)
        return seed.seed_demo(now=timezone.now())
