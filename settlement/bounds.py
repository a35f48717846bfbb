"""The largest integers a client may send where the database will compare them.

Ids and offsets go to PostgreSQL as bigint: a larger number in a query string made the
query itself fail (a 500) instead of answering 400. Like `errors.py`, this sits outside the
layers so every interface can bound its parameters with the same numbers.
"""

from typing import Final

MAX_DATABASE_ID: Final = 2**63 - 1
MAX_PAGE: Final = 1000


def id_from_text(text: str) -> int | None:
    """Return the id an ASCII decimal string names, or None if it cannot name one."""
    text = text.strip()
    # ASCII only: str.isdigit() accepts "²" (int() refuses it) and "٣" (int() reads 3).
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_DATABASE_ID else None
