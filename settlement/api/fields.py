"""Input fields of the API that accept exactly what the schema says they accept."""

from typing import Any

from django.core.validators import RegexValidator
from rest_framework import serializers

# DRF refuses a text holding a NUL character ("Null characters are not allowed"), so the
# schema's `pattern` says so: no NUL anywhere, and for a text that may not be blank, some
# character that is neither white space nor NUL (DRF trims a text before it checks it, so
# "  " is as blank as "").
NO_NUL = RegexValidator(r"^[^\x00]*$", message="Null characters are not allowed.")
NOT_BLANK = RegexValidator(r"^[^\x00]*[^\s\x00][^\x00]*$", message="This field may not be blank.")


class Text(serializers.CharField):
    """Text, and only text: DRF's CharField turns the number 0 into "0" and takes it.

    The schema says `type: string`; a number, a boolean, a list or an object is a 400 naming
    the field. The schema's `pattern` says that a NUL character is refused anywhere, and for a
    text that may not be blank, that white space alone is refused too.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # A field given a pattern of its own (say, weekday digits) keeps that one: the schema
        # has room for one `pattern`, and the field's is the narrower.
        if not any(isinstance(validator, RegexValidator) for validator in self.validators):
            self.validators.append(NO_NUL if self.allow_blank else NOT_BLANK)

    def to_internal_value(self, data: Any) -> str:
        """Return the text; raise ValidationError for a value that is not a string."""
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class Decimal(serializers.DecimalField):
    """A decimal written as a text, that may be null, and is never "": DRF's own reads ""
    (or spaces) as null when null is allowed, where the schema's pattern calls "" invalid;
    and it takes a JSON number, where the schema says `type: string` (a number such as 0.1
    is a binary fraction before it is a decimal). Null is null."""

    def to_internal_value(self, data: Any) -> Any:
        """Return the decimal; raise ValidationError for a value that is not a text."""
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        """Refuse a blank text; leave the rest (null, a missing value) to DRF."""
        if isinstance(data, str) and not data.strip():
            self.fail("invalid")
        return super().validate_empty_values(data)


class Boolean(serializers.BooleanField):
    """true or false, and only those: DRF's BooleanField also takes "yes", "on", 1 and 0,
    which the schema (`type: boolean`) calls invalid."""

    def to_internal_value(self, data: Any) -> bool:
        """Return the boolean; raise ValidationError for anything else."""
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data
