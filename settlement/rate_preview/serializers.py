"""The JSON of a rate preview: one serializer the staff API and the command both print."""

from typing import Any

from rest_framework import serializers


def _exact() -> serializers.DecimalField:
    # No max_digits or places: a Decimal is printed as given ("0.09217", "1.500"), never
    # re-rounded and never a float.
    return serializers.DecimalField(max_digits=None, decimal_places=None)


class RatePreviewLineOutput(serializers.Serializer[Any]):
    # A Serializer is a Field, whose stubs type `label` as its own label: a field named so.
    label = serializers.CharField()  # type: ignore[assignment]
    component = serializers.CharField(help_text="export, generation, delivery, fixed or bound.")
    unit = serializers.CharField(help_text="kWh, day, month or total.")
    quantity = _exact()
    kwh = _exact()
    price = _exact()
    amount = _exact()


class RatePreviewPartOutput(serializers.Serializer[Any]):
    version = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField(help_text="Exclusive.")


class RatePreviewOutput(serializers.Serializer[Any]):
    tariff = serializers.CharField()
    version = serializers.IntegerField(help_text="The version in force on the start date.")
    meter = serializers.CharField()
    channel_kind = serializers.CharField()
    time_zone = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    lines = RatePreviewLineOutput(many=True)
    total = _exact()
    parts = RatePreviewPartOutput(many=True)
    notes = serializers.ListField(child=serializers.CharField())
