"""Settings come from the environment and hold up to Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    inherited = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {key: value for key, value in os.environ.items() if key not in inherited}
    return subprocess.run(  # noqa: S603 - a fixed interpreter and our own manage.py
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deployment_checks():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level=WARNING",
        env={
            "DEBUG": "0",
            "SECRET_KEY": "p" * 20 + "roduction-key-with-enough-entropy-0123456789abcdef",
            "ALLOWED_HOSTS": "v2g.example.com",
            "SECURE_SSL_REDIRECT": "1",
            "STATIC_MANIFEST": "1",
        },
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def run_python(code: str, *, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    inherited = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {key: value for key, value in os.environ.items() if key not in inherited}
    return subprocess.run(  # noqa: S603 - a fixed interpreter and our own code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("entry_point", ["config.wsgi", "config.asgi"])
def test_the_web_process_refuses_to_start_without_a_secret_key_when_debug_is_off(entry_point):
    result = run_python(f"import {entry_point}", env={"DEBUG": "0", "SECRET_KEY": ""})

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_the_web_process_starts_with_a_secret_key():
    result = run_python("import config.wsgi", env={"DEBUG": "0", "SECRET_KEY": "k" * 50})

    assert result.returncode == 0, result.stderr


def test_commands_that_sign_nothing_run_without_a_secret_key():
    # Migrations and their check must work on a machine that holds no production secret.
    result = run_manage(
        "makemigrations", "--check", "--dry-run", env={"DEBUG": "0", "SECRET_KEY": ""}
    )

    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


@pytest.mark.parametrize("debug", ["1", "true"])
def test_debug_runs_with_a_development_key(debug):
    result = run_manage("check", env={"DEBUG": debug, "SECRET_KEY": ""})

    assert result.returncode == 0, result.stderr
