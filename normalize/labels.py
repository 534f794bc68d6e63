"""The label spec (spec/labels.toml) and how printed labels are compared with it.

Real reports print the national format's labels with numbering variants (`1.`, `1、`,
`（一）`), full-width or half-width punctuation, stray spaces from line breaks and the
odd typo. Labels are compared after `fold()`, which keeps only the words.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cache, lru_cache
from importlib import resources

_NUMERAL = "一二三四五六七八九十"
# list numbering at the start of a label: 一、 （一） (1) 1. 1、 1． ①
_NUMBERING = re.compile(
    rf"^(?:[{_NUMERAL}]+\s*[、.．,，]|[（(]\s*[{_NUMERAL}\d]+\s*[）)]|\d+\s*[、.．,，)）]|[①-⑳])\s*"
)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def strip_numbering(text: str) -> str:
    """Remove leading list numbering, repeatedly (`三、（一）予以公开` → `予以公开`)."""
    text = text.strip()
    while True:
        stripped = _NUMBERING.sub("", text, count=1)
        if stripped == text:
            return text
        text = stripped.strip()


@lru_cache(maxsize=65536)
def _fold(text: str) -> str:
    return _NOT_WORD.sub("", strip_numbering(nfkc(text)))


def fold(text: str | None) -> str:
    """A label reduced to its words: NFKC, numbering, spaces and punctuation removed."""
    return _fold(text) if text else ""


def _contains(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    return short in long and (len(short) >= 4 or 2 * len(short) >= len(long))


@lru_cache(maxsize=65536)
def similarity(a: str, b: str) -> float:
    """How alike two folded labels are, 0..1 (1 = same, 0.9 = one contains the other).

    Containment counts only for a substantial label: `其他` inside a long label is no match.
    """
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    if _contains(a, b):
        return 0.9
    return SequenceMatcher(None, a, b, autojunk=False).ratio() * 0.85


@dataclass(frozen=True, slots=True)
class Entry:
    """One canonical row or column: its key and the folded labels that name it."""

    key: str
    labels: tuple[str, ...]
    versions: frozenset[str] = frozenset({"2019", "2021"})
    unit: str | None = None

    def score(self, folded_label: str) -> float:
        return max((similarity(folded_label, label) for label in self.labels), default=0.0)

    def matches(self, folded_label: str) -> bool:
        """Equal to one of the labels, or containing / contained in one (no fuzzy matching)."""
        return bool(folded_label) and any(folded_label == l or _contains(folded_label, l) for l in self.labels)


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str
    title: str
    heading_markers: tuple[str, ...]
    rows: tuple[Entry, ...]
    columns: tuple[Entry, ...]
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def row(self, key: str) -> Entry:
        return next(r for r in self.rows if r.key == key)

    def row_keys(self, version: str) -> list[str]:
        return [r.key for r in self.rows if version in r.versions]


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    number: str
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Spec:
    version: str
    t2: TableSpec
    t3: TableSpec
    t4: TableSpec
    sections: tuple[Section, ...]


def _entries(items: list[dict]) -> tuple[Entry, ...]:
    return tuple(
        Entry(
            key=item["key"],
            labels=tuple(fold(x) for x in item.get("labels", []) + item.get("aliases", [])),
            versions=frozenset(item.get("versions", ["2019", "2021"])),
            unit=item.get("unit"),
        )
        for item in items
    )


def _table(name: str, raw: dict) -> TableSpec:
    return TableSpec(
        name=name,
        title=raw["title"],
        heading_markers=tuple(fold(x) for x in raw.get("heading_markers", [])),
        rows=_entries(raw.get("rows", [])),
        columns=_entries(raw.get("columns", [])),
        groups={k: tuple(fold(x) for x in v) for k, v in raw.get("groups", {}).items()},
        derived={r["key"]: tuple(r["derived_from"]) for r in raw.get("rows", []) if "derived_from" in r},
    )


@cache
def spec() -> Spec:
    """The label spec, loaded once per process."""
    raw = tomllib.loads(resources.files("normalize.spec").joinpath("labels.toml").read_text("utf-8"))
    return Spec(
        version=raw["spec_version"],
        t2=_table("t2", raw["t2"]),
        t3=_table("t3", raw["t3"]),
        t4=_table("t4", raw["t4"]),
        sections=tuple(
            Section(s["key"], s["number"], tuple(fold(x) for x in s["labels"] + s.get("aliases", [])))
            for s in raw["sections"]
        ),
    )


def raw_spec() -> dict:
    """The spec file as written (Chinese labels unfolded), for the codebook."""
    return tomllib.loads(resources.files("normalize.spec").joinpath("labels.toml").read_text("utf-8"))
