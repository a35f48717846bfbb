"""`create_openadr_client --name NAME --role bl|ven [--aggregator NAME]`."""

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from settlement.errors import error_body
from settlement.metering.models import Aggregator
from settlement.openadr import credentials


class Command(BaseCommand):
    help = (
        "Make an OpenADR client; prints client_id and client_secret as JSON (the secret is "
        "shown once and stored hashed)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--role", required=True, choices=("bl", "ven"))
        parser.add_argument("--aggregator", help="the aggregator a VEN acts for (by name)")

    def _refuse(self, *, code: str, message: str, field: str) -> None:
        self.stdout.write(
            json.dumps(error_body(code=code, message=message, details={"field": field}))
        )
        sys.exit(2)

    def handle(self, *args: Any, **options: Any) -> None:
        aggregator = None
        if options["aggregator"]:
            aggregator = Aggregator.objects.filter(name=options["aggregator"]).first()
            if aggregator is None:
                self._refuse(
                    code="not_found",
                    message=f"no aggregator named {options['aggregator']!r}",
                    field="aggregator",
                )
        try:
            made = credentials.create_client(
                name=options["name"],
                role=options["role"].upper(),
                aggregator=aggregator,
                now=timezone.now(),
            )
        except credentials.ClientRefused as refused:
            self._refuse(
                code=refused.code,
                message=refused.message,
                field=str(refused.details.get("field", "")),
            )
            return
        self.stdout.write(
            json.dumps(
                {
                    "name": made.client.name,
                    "role": made.client.role,
                    "client_id": made.client.client_id,
                    "client_secret": made.client_secret,
                    "scopes": made.client.scopes,
                    "aggregator": aggregator.name if aggregator else None,
                }
            )
        )
