"""Request body parsers of the API: JSON that is too deeply nested is a 400, not a crash."""

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing documents nested deeper than Python can decode."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        """Return the decoded body; raise ParseError for malformed or over-deep JSON."""
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json.loads recurses once per level: 50,000 nested arrays exhaust the stack.
            raise ParseError("JSON parse error - the document is nested too deeply") from None
