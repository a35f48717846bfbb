"""The OpenAPI schema documents every error an operation can answer, in the one error shape.

drf-spectacular documents only the success responses a view names. The errors that follow
from how a view is built are added here, once for every operation, so the schema cannot
forget them: 400 for an operation that takes a body or query parameters, 415 for a body
in a media type the view does not parse, 401 for one that needs a signed-in caller, 403
for one behind a permission beyond that (or a CSRF check of a signed-in browser), 404 for
an operation on an object named in its path, 429 for a throttled one. Errors a domain
operation raises (409 for a conflict, 403 for a role the caller lacks) are named by the
view itself: `@extend_schema(responses={..., 409: ErrorOutput})`.
"""

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.plumbing import is_list_serializer
from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ErrorOutput(serializers.Serializer[Any]):
    """The one error envelope (`settlement.errors.error_body`)."""

    class ErrorFields(serializers.Serializer[Any]):
        code = serializers.CharField(help_text="Stable, e.g. `invalid`, `not_found`.")
        message = serializers.CharField(help_text="A sentence for a person.")
        details = serializers.DictField(
            help_text="Field errors (`field -> [messages]`) for `invalid`; context otherwise."
        )

    error = ErrorFields()


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, with the errors each operation can answer, and fields
    described as narrowly as the serializers check them."""

    def _map_serializer_field(self, field: Any, direction: str, *args: Any, **kwargs: Any) -> Any:
        schema = super()._map_serializer_field(field, direction, *args, **kwargs)
        if direction != "request" or not isinstance(schema, dict):
            return schema
        default_pattern = str(schema.get("pattern", "")).startswith("^-?\\d{0,")
        if isinstance(field, serializers.DecimalField) and default_pattern:
            schema["pattern"] = _decimal_pattern(field)
        # `many=True, allow_empty=False` (a batch's readings): DRF refuses [], say so.
        empty_refused = is_list_serializer(field) or isinstance(field, serializers.ListField)
        if empty_refused and not field.allow_empty and schema.get("type") == "array":
            schema["minItems"] = max(1, schema.get("minItems", 0))
        return schema

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        body = operation.get("requestBody")
        if body is not None and _every_form_requires_a_field(self.get_request_serializer()):
            # drf-spectacular marks a body required for a serializer with a required field,
            # but not for a oneOf of them (a run: a month or a range of dates), so a request
            # with no body at all looked valid and was answered 400.
            body["required"] = True
        responses = operation["responses"]
        for status_code, description in self._error_statuses(operation).items():
            if str(status_code) not in responses:
                response = self._get_response_for_code(ErrorOutput, str(status_code))
                response["description"] = description
                responses[str(status_code)] = response
        return operation

    def _error_statuses(self, operation: dict[str, Any]) -> dict[int, str]:
        view = self.view
        places = {parameter["in"] for parameter in operation.get("parameters", [])}
        takes_body = "requestBody" in operation or self.method not in SAFE_METHODS
        permissions = view.get_permissions()
        needs_sign_in = not all(isinstance(p, AllowAny) for p in permissions)
        statuses: dict[int, str] = {}
        if takes_body or "query" in places:
            statuses[400] = "The request is not valid (`details` names each field at fault)."
        if needs_sign_in:
            statuses[401] = "No valid token or session."
        checks_more = any(not isinstance(p, (IsAuthenticated, AllowAny)) for p in permissions)
        csrf = takes_body and any(
            isinstance(a, SessionAuthentication) for a in view.get_authenticators()
        )
        if checks_more or csrf:
            statuses[403] = "The caller may not do this (or a session request without CSRF)."
        if "path" in places:
            statuses[404] = "No such object, or not one the caller may see."
        if takes_body and view.get_parsers():
            statuses[415] = "The body is not in a media type this operation reads."
        if view.get_throttles():
            statuses[429] = "Too many requests; `Retry-After` says when to try again."
        return statuses


def _every_form_requires_a_field(serializer: Any) -> bool:
    """Return whether each form a polymorphic request body may take has a required field."""
    if not isinstance(serializer, PolymorphicProxySerializer):
        return False
    forms = serializer.serializers
    forms = forms.values() if isinstance(forms, dict) else forms
    instances = [form() if isinstance(form, type) else form for form in forms]
    return all(any(field.required for field in form.fields.values()) for form in instances)


def _decimal_pattern(field: serializers.DecimalField) -> str:
    """Return the pattern of the decimals `field` takes: a digit at least, then at most its
    whole and decimal digits, within the bounds the API uses.

    drf-spectacular's own (`^-?\\d{0,7}(?:\\.\\d{0,5})?$`) also matches "", "-" and ".",
    which DRF refuses: a request the schema called valid answered 400. A pattern cannot
    compare numbers, so the bounds are the ones the serializers set: a minimum of 0 (no
    sign), of one step above 0 (a digit that is not 0), of 1 (a whole part that is not 0),
    and a maximum of 1 from 0 (a share).
    """
    whole = int(field.max_whole_digits or 1)  # set: drf-spectacular wrote a pattern
    places = field.decimal_places
    low, high = field.min_value, field.max_value
    if low is not None and low >= 0 and high == 1:
        return (
            f"^(?:0{{1,{whole}}}(?:\\.\\d{{0,{places}}})?|\\.\\d{{1,{places}}}"
            f"|0{{0,{whole - 1}}}1(?:\\.0{{0,{places}}})?)$"
        )
    fraction = f"(?:\\.\\d{{0,{places}}})?" if places else "\\.?"
    only_fraction = f"|\\.\\d{{1,{places}}}" if places else ""
    # A field with a minimum of 0 takes no sign; one above 0 needs a digit that is not 0.
    sign = "-?" if low is None or low < 0 else ""
    if low is not None and low == 1:
        return f"^(?=0*[1-9])\\d{{1,{whole}}}{fraction}$"
    nonzero = "(?=[^1-9]*[1-9])" if low is not None and low > 0 else ""
    return f"^{sign}{nonzero}(?:\\d{{1,{whole}}}{fraction}{only_fraction})$"
