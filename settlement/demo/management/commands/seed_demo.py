"""`seed_demo`: load the demo data set (idempotent) and print the logins as JSON."""

from typing import Any

from django.utils import timezone

from settlement import commands
from settlement.demo import seed


class Command(commands.JsonCommand):
    help = "Create demo programs, owners, a school-bus fleet and staff users; prints logins."
    indent = 2

    def run(self, **options: Any) -> object:
        return seed.seed_demo(now=timezone.now())
