"""The development email backend: messages printed to stderr.

Management commands print their JSON summary on stdout; an invitation printed there too
would make that output unreadable by the scripts that parse it.
"""

import sys
from typing import Any

from django.core.mail.backends import console


class EmailBackend(console.EmailBackend):
    """Django's console backend, writing to stderr."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("stream", sys.stderr)
        super().__init__(*args, **kwargs)
