"""Profile the five pages of the portal load test as one signed-in bench owner.

Against a database `bench_portal.py` left behind (BENCH_KEEP=1; its name in BENCH_DATABASE,
default `v2g_bench_portal`), with DEBUG off, through Django's test client (every
middleware, no network): per page, the queries one request makes and the median milliseconds
of wall and CPU time per request over PROFILE_REQUESTS (30) requests after a warm-up (the
median, as other work on the machine inflates a few of them).
PROFILE_TOP=N also prints each page's N most costly functions by cumulative time
(cProfile; PROFILE_SORT=tottime orders them by the time spent in each function itself).
Prints a JSON object per page on stderr and the whole table as JSON on stdout.

    BENCH_DATABASE=v2g_bench_portal .venv/bin/python bench/profile_portal.py
"""

import cProfile
import io
import json
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = os.environ.get("BENCH_DATABASE", "v2g_bench_portal")
REQUESTS = int(os.environ.get("PROFILE_REQUESTS", "30"))
TOP = int(os.environ.get("PROFILE_TOP", "0"))
SORT = os.environ.get("PROFILE_SORT", "cumulative")
OWNER = os.environ.get("PROFILE_OWNER", "owner1@bench.example")

os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{NAME}"
os.environ["DEBUG"] = "0"
os.environ["SECURE_SSL_REDIRECT"] = "0"
os.environ["STATIC_MANIFEST"] = "0"
os.environ["LOG_LEVEL"] = "WARNING"
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path.insert(0, str(ROOT))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402

_STATEMENT = re.compile(r'href="/statements/([0-9]+)/"')


def _pages(client: Client) -> dict[str, str]:
    listing = client.get("/statements/").content.decode()
    found = _STATEMENT.search(listing)
    if found is None:
        raise SystemExit(f"{OWNER} has no statement to download")
    return {
        "dashboard": "/",
        "offers": "/offers/",
        "statements": "/statements/",
        "statement pdf": f"/statements/{found.group(1)}/download.pdf",
        "payouts": "/payouts/",
    }


def _profile(client: Client, url: str) -> dict[str, float]:
    for _ in range(3):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
    # Counted by a wrapper, not CaptureQueriesContext: each request's start empties the
    # connection's query log.
    executed: list[str] = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    walls, cpus = [], []
    profiler = cProfile.Profile() if TOP else None
    for _ in range(REQUESTS):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        client.get(url)
        if profiler is not None:
            profiler.disable()
        walls.append(time.perf_counter() - wall_start)
        cpus.append(time.process_time() - cpu_start)
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(SORT).print_stats(TOP)
        print(out.getvalue(), file=sys.stderr)
    return {
        "queries": len(executed),
        "wall_ms": round(statistics.median(walls) * 1000, 2),
        "cpu_ms": round(statistics.median(cpus) * 1000, 2),
        # The least CPU a request took: the figure other work on the machine inflates least.
        "cpu_min_ms": round(min(cpus) * 1000, 2),
    }


def main() -> None:
    client = Client()
    client.force_login(User.objects.get(email=OWNER))
    table = {}
    for name, url in _pages(client).items():
        table[name] = _profile(client, url)
        print(json.dumps({name: table[name]}), file=sys.stderr)
    print(json.dumps(table, indent=2))


if __name__ == "__main__":
    main()
