"""The one shape of every command: JSON on stdout, exit 2 for a refused input, 1 for a
failed check (settlement/commands.py)."""

import json
from argparse import ArgumentParser
from typing import Any

import pytest

from settlement import commands
from settlement.errors import DomainError


class PriceRefused(DomainError):
    code = "price_refused"


class Pricing(commands.JsonCommand):
    """A command that prices `--kwh`, refuses a negative one and checks a limit."""

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--kwh", type=int, required=True)
        parser.add_argument("--limit", type=int, default=100)

    def run(self, **options: Any) -> object:
        if options["kwh"] < 0:
            raise PriceRefused("kwh: must not be negative", details={"field": "kwh"})
        summary = {"kwh": options["kwh"], "cents": options["kwh"] * 25}
        return commands.Checked(summary=summary, passed=options["kwh"] <= options["limit"])


def run(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, object]:
    """Run `Pricing` as the command line does; return its exit status and its JSON."""
    code = 0
    try:
        Pricing().run_from_argv(["manage.py", "pricing", *argv])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    printed = capsys.readouterr()
    assert printed.err == ""
    return code, json.loads(printed.out)


def test_a_command_that_did_its_work_prints_its_summary_and_exits_0(capsys):
    assert run("--kwh", "4", capsys=capsys) == (0, {"kwh": 4, "cents": 100})


def test_a_refused_input_prints_the_one_error_body_and_exits_2(capsys):
    assert run("--kwh", "-1", capsys=capsys) == (
        2,
        {
            "error": {
                "code": "price_refused",
                "message": "kwh: must not be negative",
                "details": {"field": "kwh"},
            }
        },
    )


def test_a_bad_argument_prints_the_one_error_body_on_stdout_and_exits_2(capsys):
    code, printed = run("--kwh", "four", capsys=capsys)

    assert code == 2
    assert printed == {
        "error": {
            "code": "invalid_argument",
            "message": "argument --kwh: invalid int value: 'four'",
            "details": {},
        }
    }


def test_a_failed_check_prints_its_summary_and_exits_1(capsys):
    assert run("--kwh", "200", capsys=capsys) == (1, {"kwh": 200, "cents": 5000})
