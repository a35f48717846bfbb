"""PostgreSQL advisory locks of metering: channels while a load merges, uploads while one runs.

Two concurrent loads that touch the same channels serialize on them; each takes its channels
in ascending id order, so two loads can never wait for each other in a circle. The locks are
transaction-scoped and end with the merge's commit or rollback.
"""

from collections.abc import Iterable

from django.db import connection
from django.db.backends.utils import CursorWrapper

# The first key of every advisory lock this module takes, so that other users of advisory
# locks in the same database cannot collide with these (two-key form: namespace, id).
CHANNEL_NAMESPACE = 7301
UPLOAD_NAMESPACE = 7302

# The sorted ids in a subquery with OFFSET 0 (an optimisation fence): the locks are taken
# in that order, one row at a time.
_LOCK_CHANNELS = """
SELECT pg_advisory_xact_lock(%s, c::integer)
FROM (SELECT c FROM unnest(%s::bigint[]) AS c ORDER BY c OFFSET 0) AS ordered
"""


def lock_channels(cursor: CursorWrapper, channel_ids: Iterable[int]) -> None:
    """Wait for and take the merge lock of each channel, in ascending id order."""
    ordered = sorted(set(channel_ids))
    if ordered:
        cursor.execute(_LOCK_CHANNELS, [CHANNEL_NAMESPACE, ordered])


def try_hold_upload(upload_id: int) -> bool:
    """Take the session lock that marks `upload_id` as being processed here; False if held.

    The lock lives as long as this connection: a process that dies (even by SIGKILL) loses
    it at once, and whoever asks next may take the upload over.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [UPLOAD_NAMESPACE, upload_id])
        (held,) = cursor.fetchone()
    return bool(held)


def release_upload(upload_id: int) -> None:
    """Release the session lock taken by `try_hold_upload`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [UPLOAD_NAMESPACE, upload_id])
