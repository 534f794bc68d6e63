"""A printed table cell → (value, flag, unit).

Numbers are stored exactly as printed: `251000元` stays 251000 with unit 元 (never
converted to 万元), `22（其中修订16件）` is 22 flagged `annotated`, and a cell that
prints no number gets `value = None` with a flag saying what it printed. A blank
cell is never a 0.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple


class Value(NamedTuple):
    value: float | None
    flag: str | None  # None for a plain number
    unit: str | None


FLAGS = {
    "blank": "the cell prints nothing",
    "slash": "the cell prints a slash (/)",
    "dash": "the cell prints a dash (-, —, --)",
    "na": "the cell prints N/A, 无 or a similar word for 'none'",
    "annotated": "a number followed by a note, e.g. 22（其中修订16件）; value is the leading number",
    "unit": "a number printed with its unit, e.g. 251000元; value as printed, unit in `unit`",
    "text": "the cell prints text that is not a number; value is null",
    "derived": "not printed: computed from printed cells (e.g. other_handling as the sum of its sub-rows)",
    "ocr": "a plain number read by OCR from a scan (an image, or a PDF without text), kept because every "
           "check of tables 3 and 4 holds; a scanned cell that reads blank, a dash, a note or a unit keeps "
           "that flag instead, so every fact of a report read by OCR is one (the report's issues say so)",
}

_SLASH = {"/", "\\", "／", "∕"}
_DASH = {"-", "--", "---", "—", "——", "–", "－", "―", "一一", "－－", "~", "～"}
_NA = {"n/a", "na", "无", "暂无", "空", "null", "none", "×", "x"}
_NUMBER = r"[+\-]?\d+(?:\.\d+)?"
_PLAIN = re.compile(rf"^({_NUMBER})$")
_UNITS = "万元|亿元|千元|元|万|亿|件|条|个|项|次|人次|起|宗|份|家|人"
_WITH_UNIT = re.compile(rf"^({_NUMBER})\s*({_UNITS})$")
_ANNOTATED = re.compile(rf"^({_NUMBER})\s*(?:{_UNITS})?\s*[(\[【].*$")
_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?:\D|$))")


_MINUS = str.maketrans({"\u2212": "-"})  # MINUS SIGN, which NFKC keeps: PDF text layers and Word print it


def clean(raw: str | None) -> str:
    """NFKC (full-width digits to ASCII), minus signs to '-', whitespace removed, thousands separators dropped."""
    if raw is None:
        return ""
    text = unicodedata.normalize("NFKC", raw).translate(_MINUS)
    text = re.sub(r"\s+", "", text)
    return _THOUSANDS.sub("", text)


@lru_cache(maxsize=65536)
def parse(raw: str | None) -> Value:
    text = clean(raw)
    if not text:
        return Value(None, "blank", None)
    if text in _SLASH:
        return Value(None, "slash", None)
    if text in _DASH or set(text) <= {"-", "—", "–", "－", "―"}:
        return Value(None, "dash", None)
    if text.lower() in _NA:
        return Value(None, "na", None)
    if m := _PLAIN.match(text):
        return _number(m.group(1), None, None)
    if m := _WITH_UNIT.match(text):
        return _number(m.group(1), "unit", m.group(2))
    if m := _ANNOTATED.match(text):
        return _number(m.group(1), "annotated", None)
    return Value(None, "text", None)


def _number(digits: str, flag: str | None, unit: str | None) -> Value:
    """A printed number, or text when it has too many digits for a float64 (never infinity)."""
    value = float(digits)
    return Value(value, flag, unit) if math.isfinite(value) else Value(None, "text", None)


def is_value_like(raw: str | None) -> bool:
    """Could this cell sit in a table's number columns (a number, a placeholder or blank)?"""
    return parse(raw).flag != "text"


def is_number(raw: str | None) -> bool:
    return parse(raw).value is not None
