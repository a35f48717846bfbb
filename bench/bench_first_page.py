"""A newcomer's first minute: `make run` on a fresh clone until the sign-in page answers.

Beside it, as its peer, the same on a fresh clone of `BENCH_FIRST_PAGE_PEER` (default
1bdfcbe, main before issue 16 made start-up quicker), alternating the two
`BENCH_FIRST_PAGE_ROUNDS` times (default 3) so that a change in the machine's load falls on
both. Each clone shares this checkout's .venv (installing is not what is measured: the
requirement files are dated back so make's stamp holds) and starts from no database, as a
fresh clone does. Prints the medians `first_page_seconds` and `first_page_peer_seconds`
and their ratio `first_page_speedup`. Nothing is downloaded; the clones are removed.
"""

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER = os.environ.get("BENCH_FIRST_PAGE_PEER", "1bdfcbe")
ROUNDS = int(os.environ.get("BENCH_FIRST_PAGE_ROUNDS", "3"))
DEADLINE_S = 300
OLD = 946_684_800  # 2000-01-01: older than any stamp, so make does not reinstall
# What a newcomer's shell has: none of CI's or a developer's database and broker settings.
UNSET = ("DATABASE_URL", "DATABASE_TEST_NAME", "REDIS_URL", "CELERY_BROKER_URL", "MEDIA_ROOT")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _clone(revision: str, into: Path) -> Path:
    checkout = into / revision
    subprocess.run(["git", "clone", "-q", str(ROOT), str(checkout)], check=True)
    subprocess.run(["git", "-C", str(checkout), "checkout", "-q", revision], check=True)
    (checkout / ".venv").symlink_to(ROOT / ".venv")
    for requirements in checkout.glob("requirements*.txt"):
        os.utime(requirements, (OLD, OLD))
    return checkout


def _seconds_to_first_page(checkout: Path) -> float:
    """Start `make run` in `checkout` without a database; return seconds until /accounts/login/
    answers 200, then stop it."""
    (checkout / "var" / "v2g.sqlite3").unlink(missing_ok=True)
    port = _free_port()
    env = {name: value for name, value in os.environ.items() if name not in UNSET}
    started = time.perf_counter()
    server = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=checkout,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        while True:
            if time.perf_counter() - started > DEADLINE_S or server.poll() is not None:
                raise RuntimeError(f"make run in {checkout} served nothing")
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/accounts/login/", timeout=5
                ) as page:
                    if page.status == 200:
                        return time.perf_counter() - started
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-first-page-") as scratch:
        head = _clone("HEAD", Path(scratch))
        peer = _clone(PEER, Path(scratch))
        ours, theirs = [], []
        for _ in range(ROUNDS):
            theirs.append(_seconds_to_first_page(peer))
            ours.append(_seconds_to_first_page(head))
        print(f"first page: ours {ours}, {PEER} {theirs}", file=sys.stderr)
    median, peer_median = statistics.median(ours), statistics.median(theirs)
    print(
        json.dumps(
            {
                "first_page_seconds": round(median, 2),
                "first_page_peer_seconds": round(peer_median, 2),
                "first_page_speedup": round(peer_median / median, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
