"""Query parameters as serializers: a parameter given with no value is a 400, not "absent".

DRF reads `?state=` as if `state` were not sent when the field is optional, so an empty
filter answered the unfiltered list (schemathesis ST201: the schema says a value, the API
took none). A parameter named in the query must have a value; so must a part of a
multipart body (an upload's `meter_id=`), which DRF reads the same way.
"""

from typing import Any

from rest_framework import serializers


class QueryParameters(serializers.Serializer[Any]):
    """Base of every query-parameter serializer of the API."""

    def to_internal_value(self, data: Any) -> Any:
        """Return the validated values; raise ValidationError naming each blank parameter."""
        blank = {
            name: ["This field may not be blank."]
            for name in self.fields.keys()  # noqa: SIM118 - BindingDict iterates as Fields to mypy
            if hasattr(data, "get") and name in data and str(data.get(name)).strip() == ""
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)
