"""The interactive API docs load from the service's own static files and list operations."""

from urllib.parse import urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_list_the_operations_without_any_outside_request(
    live_server, page, screenshot
):
    served_from = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda request: (
            elsewhere.append(request.url) if urlsplit(request.url).netloc != served_from else None
        ),
    )

    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock-summary-path", timeout=15_000)

    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/me/" in [path.replace("\u200b", "") for path in paths]
    assert "/api/v1/metering/uploads/" in [path.replace("\u200b", "") for path in paths]
    assert elsewhere == []
    screenshot(page, "api-docs")
