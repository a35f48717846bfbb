"""PostgreSQL triggers that keep a table append-only: rows are inserted, never changed.

The ledger's entries and postings, statement transitions and settled statements use them.
They run for every statement, ORM or raw SQL, and deliberately do not honour
`pgtrigger.ignore` (the library's session switch): a correction is a new row. On SQLite
the operations are the only writers, and they never update these rows.
"""

import pgtrigger

# SQLSTATE 55000 (object_not_in_prerequisite_state): the row exists but may not change.
_REFUSE = """
    RAISE EXCEPTION '% rows are append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = '55000';
    RETURN NULL;
"""


def refuse_update_and_delete(*, name: str) -> pgtrigger.Trigger:
    """Return a row trigger that refuses every UPDATE and DELETE on its table."""
    return pgtrigger.Trigger(
        name=name,
        when=pgtrigger.Before,
        operation=pgtrigger.Update | pgtrigger.Delete,
        func=_REFUSE,
    )
