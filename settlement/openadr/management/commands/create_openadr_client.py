"""`create_openadr_client --name NAME --role bl|ven [--aggregator NAME]`."""

from argparse import ArgumentParser
from typing import Any

from django.utils import timezone

from settlement.commands import JsonCommand
from settlement.errors import NotFound
from settlement.metering.models import Aggregator
from settlement.openadr import credentials


class Command(JsonCommand):
    help = (
        "Make an OpenADR client; prints client_id and client_secret as JSON (the secret is "
        "shown once and stored hashed). Exit 2 with the error body when refused."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--role", required=True, choices=("bl", "ven"))
        parser.add_argument("--aggregator", help="the aggregator a VEN acts for (by name)")

    def run(self, **options: Any) -> object:
        """Return the new client's credentials; raise a DomainError to refuse."""
        aggregator = None
        if options["aggregator"]:
            aggregator = Aggregator.objects.filter(name=options["aggregator"]).first()
            if aggregator is None:
                raise NotFound(
                    f"no aggregator named {options['aggregator']!r}",
                    details={"field": "aggregator"},
                )
        made = credentials.create_client(
            name=options["name"],
            role=options["role"].upper(),
            aggregator=aggregator,
            now=timezone.now(),
        )
        return {
            "name": made.client.name,
            "role": made.client.role,
            "client_id": made.client.client_id,
            "client_secret": made.client_secret,
            "scopes": made.client.scopes,
            "aggregator": aggregator.name if aggregator else None,
        }
