"""Run `manage.py` in real OS processes against the database a test uses."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[3]


def database_url() -> str:
    """Return a DATABASE_URL naming the database this test runs on (PostgreSQL)."""
    settings = connection.settings_dict
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or "5432"
    user = settings.get("USER") or "postgres"
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


def environment(*, database: str, media: Path) -> dict[str, str]:
    """Return the environment of a child process on `database`, with its own media root."""
    env = {**os.environ, "DATABASE_URL": database, "MEDIA_ROOT": str(media)}
    env.pop("DATABASE_TEST_NAME", None)
    env.setdefault("SECRET_KEY", "test-only-secret-key")
    env["DATABASE_CONN_MAX_AGE"] = "0"
    # Inline processing in the child: no broker, whatever the parent uses.
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        env.pop(name, None)
    return env


def start_ingest(path: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start `manage.py ingest PATH` in a new process."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "ingest", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def finished(process: subprocess.Popen[bytes], timeout: float = 300) -> tuple[int, dict]:
    """Wait for an ingest process; return its exit code and the JSON summary it printed."""
    out, err = process.communicate(timeout=timeout)
    try:
        return process.returncode, json.loads(out)
    except json.JSONDecodeError:
        raise AssertionError(f"no JSON summary; stderr: {err.decode()[-2000:]}") from None


def manage(*args: str, env: dict[str, str]) -> str:
    """Run a manage.py command to completion; return its stdout."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout.decode()


def start_worker(queue: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a Celery worker of this project that takes only `queue`, logging to `log` (its
    name tells two workers of one queue apart)."""
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own celery, fixed arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-Q",
                queue,
                "--hostname",
                f"{queue}-{log.stem}@%h",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
