"""Real headless Chromium (Debian's package) driven by Playwright against the live server."""

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright import sync_api

from tests.factories import TEST_PASSWORD
from tests.metering_fixtures import media_in_tmp, run_ingest, site  # noqa: F401 - fixtures

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        # Skipped only where `make browser-deps` could not install Chromium (not root, no
        # package); CI sets BROWSER_TESTS_REQUIRED so a missing browser fails the run there.
        if os.environ.get("BROWSER_TESTS_REQUIRED"):
            pytest.fail(
                f"headless Chromium is missing at {CHROMIUM} and the browser tests are required"
            )
        pytest.skip("headless Chromium is not installed (make browser-deps installs it)")
    # Playwright's sync API keeps an event loop in this thread; Django then refuses ORM calls
    # from tests and their database teardown unless told that this is deliberate. Subprocess
    # tests drop the variable (tests/functional/test_settings.py).
    with pytest.MonkeyPatch.context() as patch, sync_api.sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


# Screenshots are artifacts of the run (CI keeps the folder), at desktop and phone widths.
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "browser-artifacts"
WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.fixture
def screenshot() -> Callable[[object, str], list[Path]]:
    def take(page: object, name: str) -> list[Path]:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        paths = []
        # The test goes on at the width it had: a phone's layout (stacked tables, whose
        # cells then name their column) would change what it finds next.
        before = page.viewport_size  # type: ignore[attr-defined]
        for label, width in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": 900})  # type: ignore[attr-defined]
            path = ARTIFACTS / f"{name}-{label}.png"
            page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
            paths.append(path)
        if before:
            page.set_viewport_size(before)  # type: ignore[attr-defined]
        return paths

    return take


def sign_in(browser: object, live_server: object, email: str) -> object:
    """Return a new page of a new context, signed in as `email` (the factories' password)."""
    page = browser.new_context().new_page()  # type: ignore[attr-defined]
    page.goto(f"{live_server.url}/accounts/login/")  # type: ignore[attr-defined]
    page.fill("#id_username", email)
    page.fill("#id_password", TEST_PASSWORD)
    page.click("button[type=submit]")
    return page
