"""The delivery figures of one offer, as the owner's offers and the staff's results show them."""

from typing import Any

from rest_framework import serializers


class DeliveryOutput(serializers.Serializer[Any]):
    """Baseline, delivered and incremental energy (kWh strings) and the amount it earned."""

    baseline_kwh = serializers.CharField(allow_null=True)
    delivered_kwh = serializers.CharField(allow_null=True)
    incremental_kwh = serializers.CharField(allow_null=True)
    amount = serializers.CharField()
    settleable = serializers.BooleanField()
    reason = serializers.CharField()


# The keys of a participant result (`events.queries.ParticipantResult.as_dict`) that are its
# delivery, in the serializer's order.
DELIVERY_KEYS = tuple(DeliveryOutput().fields)
