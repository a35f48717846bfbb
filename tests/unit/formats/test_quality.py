"""Tests for the mapping of every source's quality vocabulary to one Quality."""

import pytest

from settlement.metering.formats import quality
from settlement.metering.formats.quality import Quality


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (0, Quality.ACTUAL),
        (7, Quality.EDITED),
        (8, Quality.ESTIMATED),
        (9, Quality.ESTIMATED),
        (10, Quality.SUSPECT),
        (11, Quality.DERIVED),
        (12, Quality.FORECAST),
        (14, Quality.ACTUAL),
        (17, Quality.ACTUAL),
        (19, Quality.ACTUAL),
    ],
)
def test_espi_codes_map_to_one_quality(code, expected):
    assert quality.from_espi(code) is expected


def test_an_unknown_espi_code_maps_to_none():
    assert quality.from_espi(99) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Quality.ACTUAL),
        (" Actual ", Quality.ACTUAL),
        ("ESTIMATED", Quality.ESTIMATED),
        ("Validated", Quality.ACTUAL),
        ("missing", Quality.MISSING),
    ],
)
def test_utility_words_map_case_insensitively(text, expected):
    assert quality.from_utility_text(text) is expected


def test_canonical_names_are_exact_and_empty_is_actual():
    assert quality.from_canonical("") is Quality.ACTUAL
    assert quality.from_canonical("SUSPECT") is Quality.SUSPECT
    assert quality.from_canonical("suspect") is None


def test_worst_returns_the_most_doubtful_quality():
    assert quality.worst([Quality.EDITED, Quality.SUSPECT, Quality.ACTUAL]) is Quality.SUSPECT
    assert quality.worst([]) is Quality.ACTUAL
