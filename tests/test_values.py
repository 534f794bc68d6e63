"""A printed cell → value, flag and unit: numbers as printed, never an invented 0."""

import pytest

from normalize.values import parse


@pytest.mark.parametrize(
    "raw, value, flag, unit",
    [
        ("653", 653.0, None, None),
        ("１２", 12.0, None, None),  # full-width digits
        ("1,036", 1036.0, None, None),
        ("1，036", 1036.0, None, None),
        ("+1036", 1036.0, None, None),
        ("-5", -5.0, None, None),
        ("7545.5", 7545.5, None, None),
        (" 6 0 7 ", 607.0, None, None),  # Word-pasted spaces inside a number
        ("251000元", 251000.0, "unit", "元"),
        ("0.35万元", 0.35, "unit", "万元"),
        ("22（其中修订16件）", 22.0, "annotated", None),
        ("55(含自然失效29件)", 55.0, "annotated", None),
        ("3件（含1件转办）", 3.0, "annotated", None),
    ],
)
def test_numbers_are_kept_as_printed(raw, value, flag, unit):
    parsed = parse(raw)
    assert (parsed.value, parsed.flag, parsed.unit) == (value, flag, unit)


@pytest.mark.parametrize(
    "raw, flag",
    [(None, "blank"), ("", "blank"), ("\u3000 ", "blank"), ("/", "slash"), ("／", "slash"),
     ("-", "dash"), ("—", "dash"), ("--", "dash"), ("——", "dash"), ("N/A", "na"), ("无", "na"),
     ("详见附件", "text")],
)
def test_cells_without_a_number_are_null_with_a_flag(raw, flag):
    parsed = parse(raw)
    assert parsed.value is None
    assert parsed.flag == flag
