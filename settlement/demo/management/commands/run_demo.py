"""`run_demo [addrport]`: migrate, load the demo data and serve it, all in one process.

`make run` is a newcomer's first minute. Three processes (migrate and seed, then the
development server's watcher and its child) each set up Django and import every URL and
view; one process does that once, and the first page it serves finds them loaded. The
system checks run beside it, in a process of their own on the machine's other core, and
must pass before anything is served. The cost is the code reloader: while changing code,
run `manage.py runserver` beside it.
"""

import subprocess
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import base, call_command


class Command(base.BaseCommand):
    help = "Apply migrations, load the demo data (printing its logins) and serve it."
    # Run beside the migrations instead (below), on the other core.
    requires_system_checks = ()

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        checks = subprocess.Popen(
            [sys.executable, "manage.py", "check"],
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        call_command("seed_demo", migrate=True)
        found, _ = checks.communicate()
        if checks.returncode != 0:
            raise base.CommandError(f"the system checks failed:\n{found}")
        call_command("runserver", options["addrport"], use_reloader=False, skip_checks=True)
