"""JSON a client sent: malformed or too deeply nested documents are a DomainError (400).

`json.loads` recurses once per nesting level, so 50,000 nested arrays raise RecursionError
(a 500 where it was not caught), and a document that decodes but nests a few thousand levels
still breaks whatever walks it next. No document this service reads nests deeper than
MAX_DEPTH.
"""

import json
from typing import Any, Final

from settlement.errors import DomainError

MAX_DEPTH: Final = 64


class JsonInvalid(DomainError):
    """A document is not JSON, or nests deeper than MAX_DEPTH."""

    code = "invalid"

    def __init__(self, *, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", details={field: [reason]})
        self.field = field
        self.reason = reason


def loads(text: str | bytes, *, field: str, **options: Any) -> Any:
    """Return the decoded document; raise JsonInvalid naming `field` when it cannot be."""
    try:
        document = json.loads(text, **options)
    except RecursionError:
        raise JsonInvalid(field=field, reason=f"nested deeper than {MAX_DEPTH} levels") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise JsonInvalid(field=field, reason=f"not valid JSON ({error})") from None
    if depth(document) > MAX_DEPTH:
        raise JsonInvalid(field=field, reason=f"nested deeper than {MAX_DEPTH} levels")
    return document


def depth(document: Any) -> int:
    """Return how many arrays and objects deep `document` nests (0 for a scalar).

    Iterative, so a document deep enough to break recursion is measured, not crashed on.
    """
    deepest = 0
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, level = pending.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, level + 1)
        pending.extend((child, level + 1) for child in children)
    return deepest
