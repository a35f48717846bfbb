"""Only the booking module posts to the ledger, in every package, including ones added later.

The import-linter contract lists today's packages one by one; this reads the source of all
of them, so a new package that imports the ledger's operations fails here too.
"""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[3]
ALLOWED = {
    pathlib.Path("settlement/ledger/booking.py"),
    pathlib.Path("settlement/ledger/operations.py"),
}
POSTING = re.compile(r"post_entry\(|ledger import operations|ledger\.operations import")


def test_no_module_but_booking_imports_the_ledger_operations_or_posts_an_entry() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("accounts", "config", "settlement")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.relative_to(ROOT) not in ALLOWED and POSTING.search(path.read_text())
    ]

    assert offenders == []
