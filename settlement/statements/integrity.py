"""Invariants across statements and the ledger, for `check_ledger`."""

from settlement.ledger import queries as ledger_queries


def ledger_violations() -> list[ledger_queries.Violation]:
    """Return every broken invariant of the ledger and of approved statements' postings."""
    return ledger_queries.violations()
