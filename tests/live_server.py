"""gunicorn serving the application over this test's PostgreSQL database, for the tests that
drive it from another process (the schema fuzz run, the third-party OpenADR client)."""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 free now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(
    log: Path, *, port: int, env: Mapping[str, str]
) -> Iterator["subprocess.Popen[bytes]"]:
    """Run gunicorn (one worker, two threads) on 127.0.0.1:`port`; yield the process.

    It reads this test's database (committed rows only: the test needs `transactional_db`)
    and files, with no broker (the tasks it dispatches run in its own process) and no
    cache server; `env` adds or overrides settings. Its errors go to `log`.
    """
    database = settings.DATABASES["default"]
    environment = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
        "CACHE_URL": "",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **env,
    }
    with log.open("w") as errors:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and WSGI app
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "2",
                "--log-level",
                "warning",
            ],
            env=environment,
            cwd=settings.BASE_DIR,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            yield server
        finally:
            server.terminate()
            server.wait(timeout=30)
