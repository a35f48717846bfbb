"""`run_demo [addrport]`: migrate, load the demo data and serve it, all in one process.

`make run` is a newcomer's first minute. Three processes (migrate and seed, then the
development server's watcher and its child) each set up Django and import every URL and
view; one process does that once, and the first page it serves finds them loaded. The cost
is the code reloader: while changing code, run `manage.py runserver` beside it.
"""

from argparse import ArgumentParser
from typing import Any

from django.core.management import base, call_command


class Command(base.BaseCommand):
    help = "Apply migrations, load the demo data (printing its logins) and serve it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        # This command ran the system checks before handle(); the ones it calls need not.
        call_command("seed_demo", migrate=True)
        call_command("runserver", options["addrport"], use_reloader=False, skip_checks=True)
