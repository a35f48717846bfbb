"""`seed_demo`: load the demo data set (idempotent) and print the logins as JSON."""

import json
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from settlement.demo import seed


class Command(BaseCommand):
    help = "Create demo programs, owners, a school-bus fleet and staff users; prints logins."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(seed.seed_demo(now=timezone.now()), indent=2))
