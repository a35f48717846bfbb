"""The one shape of every management command: JSON on stdout and three exit statuses.

    0  the command did its work; stdout holds its JSON summary
    1  a check the command ran found a problem (`check_ledger`, `reconcile_payouts`, ...);
       stdout holds the summary that says what
    2  the input was refused (a domain error, a bad argument, an unreadable or rejected file);
       stdout holds the API's one error body, `{"error": {"code", "message", "details"}}`

Like `errors.py` it sits outside the layers, so a command in any app can use it.
"""

import json
import sys
from dataclasses import dataclass
from typing import Any, ClassVar, Final, NoReturn

from django.core.management import base

from settlement import errors

EXIT_CHECK_FAILED: Final = 1
EXIT_REFUSED: Final = 2


class ArgumentRefused(errors.DomainError):
    """A command-line argument is missing, malformed or not allowed with the others."""

    code = "invalid_argument"


class FileUnreadable(errors.DomainError):
    """The file a command was given cannot be opened or read."""

    code = "file_unreadable"


@dataclass(frozen=True)
class Checked:
    """A check's summary and whether it passed; a failed check exits 1 after printing."""

    summary: object
    passed: bool


@dataclass(frozen=True)
class Document:
    """Text a command exports as it is (a CSV, a JSON export), printed without a summary."""

    text: str


class JsonCommand(base.BaseCommand):
    """A command that answers with one JSON document on stdout and exits 0, 1 or 2.

    Subclasses implement `run(**options)`, which returns the summary (any JSON value), a
    `Checked` or a `Document`; a `DomainError` raised there is printed as the error body and
    exits 2. Django's own `CommandError` is not used: it goes to stderr and exits 1.
    """

    # Indented output for commands a person reads at a terminal (`seed_demo`, `ingest`).
    indent: ClassVar[int | None] = None

    def run(self, **options: Any) -> object:
        """Return the command's summary; raise a `DomainError` to refuse the input."""
        raise NotImplementedError

    def run_from_argv(self, argv: list[str]) -> None:
        """Parse once where a bad argument raises, so it answers in the error body too.

        Django's parser prints usage to stderr when called from the command line; the one
        built before `_called_from_command_line` is set raises `CommandError` instead. `--help`
        still prints help and exits 0.
        """
        parser = self.create_parser(argv[0], argv[1])
        try:
            parser.parse_args(argv[2:])
        except base.CommandError as error:
            self.refuse(ArgumentRefused(str(error).removeprefix("Error: ")))
        super().run_from_argv(argv)

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the command and print its answer; exit 1 or 2 as the module docstring says."""
        try:
            answer = self.run(**options)
        except errors.DomainError as error:
            self.refuse(error)
        if isinstance(answer, Document):
            self.stdout.write(answer.text, ending="")
            return
        summary = answer.summary if isinstance(answer, Checked) else answer
        # `default=str` prints the Decimals and times of a summary as text, as the API does.
        self.stdout.write(json.dumps(summary, indent=self.indent, default=str))
        if isinstance(answer, Checked) and not answer.passed:
            sys.exit(EXIT_CHECK_FAILED)

    def refuse(self, error: errors.DomainError) -> NoReturn:
        """Print `error` in the one error body and exit 2."""
        body = errors.error_body(code=error.code, message=error.message, details=error.details)
        self.stdout.write(json.dumps(body, indent=self.indent))
        sys.exit(EXIT_REFUSED)
