"""`make run`'s one process (`run_demo`), started as a newcomer starts it: from an empty
SQLite file it migrates, prints the demo logins and serves the sign-in page with its styles."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import requests
from django.conf import settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(port: int, env: dict[str, str], out: IO[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - a fixed interpreter and our own manage.py
        [sys.executable, "manage.py", "run_demo", f"127.0.0.1:{port}"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=out,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def test_run_demo_serves_the_demo_from_an_empty_database(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DEBUG": "1",
        "SITE_URL": f"http://127.0.0.1:{port}",
    }
    env.pop("DATABASE_TEST_NAME", None)
    stdout = tmp_path / "stdout"
    with stdout.open("w") as out:
        server = _start(port, env, out)
    try:
        page = None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and server.poll() is None:
            try:
                page = requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.5)
        assert server.poll() is None, "run_demo exited before serving"
        assert page is not None
        assert page.status_code == 200
        assert requests.get(f"http://127.0.0.1:{port}/static/portal/site.css", timeout=5).ok
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    printed = stdout.read_text()
    # seed_demo's JSON summary comes first, then the server's banner.
    summary = json.JSONDecoder().raw_decode(printed[printed.index("{") :])[0]
    assert {"email": "owner01@example.com", "password": "v2g-demo-pass", "role": "EV owner"} in [
        {key: login[key] for key in ("email", "password", "role")} for login in summary["logins"]
    ]
