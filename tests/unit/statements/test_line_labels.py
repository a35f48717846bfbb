"""Prices in statement line labels: the program's currency symbol, the stored number style."""

from decimal import Decimal

from settlement.statements.lines import line_labels


def test_a_label_price_keeps_its_places_and_names_the_programs_currency():
    assert line_labels.unit_price(Decimal("0.61000"), currency="USD") == "$0.61/kWh"
    assert line_labels.unit_price(Decimal("0.12345"), currency="EUR") == "€0.12345/kWh"
    assert line_labels.unit_price(Decimal("20"), currency="CAD", unit="kW") == "CA$20.00/kW"


def test_an_exported_sentence_in_dollars_reads_as_it_always_did_and_in_cad_names_the_cad():
    subject = line_labels.vector_subject("v2 Jul weekday 19:00-20:00 generation")
    assert subject is not None

    usd = line_labels.exported_sentence(
        subject, Decimal("3.105"), Decimal("0.61000"), currency="USD"
    )
    cad = line_labels.exported_sentence(
        subject, Decimal("3.105"), Decimal("0.61000"), currency="CAD"
    )

    assert usd == (
        "Exported 3.105 kWh on July weekdays 19:00\u201320:00 at $0.61/kWh (generation, v2)"
    )
    assert cad == (
        "Exported 3.105 kWh on July weekdays 19:00\u201320:00 at CA$0.61/kWh (generation, v2)"
    )
