"""Pure tariff-file parsers: bytes in, rating-core dataclasses and warnings out (no Django)."""
