"""Fixtures of the metering integration tests, among them every store a file goes through."""

import pytest
from django.db import connection

from settlement.metering import store_postgres
from tests.metering_fixtures import (  # noqa: F401
    charger_meter,
    media_in_tmp,
    other_site,
    program_settings,
    run_ingest,
    site,
)


@pytest.fixture(params=["portable", "postgres", "pipelined"])
def storage(request, settings, monkeypatch):
    if request.param != "portable" and connection.vendor != "postgresql":
        pytest.skip("the COPY store needs PostgreSQL")
    if request.param == "pipelined":
        # Every file through the merge thread, one reading per chunk so that even these
        # small files cross several chunk hand-overs.
        settings.METERING_PIPELINE_MIN_BYTES = 0
        monkeypatch.setattr(store_postgres, "COPY_CHUNK", 1)
        merged: list[int] = []
        run = store_postgres._MergeThread.run

        def counting_run(thread):
            merged.append(1)
            run(thread)

        monkeypatch.setattr(store_postgres._MergeThread, "run", counting_run)
        yield "postgres"
        assert merged, "no file went through the merge thread"
        return
    settings.METERING_PIPELINE_MIN_BYTES = 1 << 40
    yield request.param
