from tests.metering_fixtures import (  # noqa: F401
    charger_meter,
    media_in_tmp,
    other_site,
    program_settings,
    run_ingest,
    site,
)
