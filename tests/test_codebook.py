"""docs/codebook.md is generated and must never drift from the schemas and the label spec."""

from __future__ import annotations

from pathlib import Path

from govreports.codebook import T2_CELLS, load_labels, render
from normalize.dataset import SCHEMAS, STATUS_DESCRIPTIONS, VALUE_FLAGS
from normalize.record import STATUSES

ROOT = Path(__file__).resolve().parent.parent
CODEBOOK = ROOT / "docs" / "codebook.md"


def test_committed_codebook_is_up_to_date():
    assert CODEBOOK.exists(), "docs/codebook.md is missing: run `make codebook`"
    assert CODEBOOK.read_text(encoding="utf-8") == render(), "docs/codebook.md is out of date: run `make codebook` and commit it"


def test_render_is_deterministic():
    assert render() == render()


def test_every_column_is_documented():
    text = render()
    for name, schema in SCHEMAS.items():
        assert f"### `{name}`" in text
        section = text.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0]
        for f in schema:
            line = next((l for l in section.splitlines() if l.startswith(f"| `{f.name}` |")), None)
            assert line, f"{name}.{f.name} missing"
            assert f.metadata[b"description"].decode().replace("|", "\\|") in line


def test_every_canonical_key_and_label_is_listed():
    text = render()
    spec = load_labels()
    for table in ("t2", "t3", "t4"):
        for item in spec[table]["rows"] + spec[table]["columns"]:
            assert f"`{item['key']}`" in text
            for label in item["labels"]:
                assert label in text
    for section in spec["sections"]:
        assert section["labels"][0] in text


def test_status_and_flag_values_are_listed():
    text = render()
    assert set(STATUS_DESCRIPTIONS) == set(STATUSES)
    for s in STATUSES:
        assert f"| `{s}` |" in text
    for flag in VALUE_FLAGS:
        if flag != "(null)":
            assert f"| `{flag}` |" in text
    for flag in ("blank", "slash", "dash", "annotated", "derived", "unit", "text"):
        assert flag in VALUE_FLAGS


def test_every_check_is_listed():
    from normalize.checks import CHECKS

    text = render()
    for code in CHECKS:
        assert f"| `{code}` |" in text


def test_table2_layout_matches_the_label_spec():
    spec = load_labels()["t2"]
    rows = {r["key"]: set(r.get("versions", ["2019", "2021"])) for r in spec["rows"]}
    cols = {c["key"]: set(c.get("versions", ["2019", "2021"])) for c in spec["columns"]}
    for version, layout in T2_CELLS.items():
        assert {r for r, vs in rows.items() if version in vs} == set(layout), version
        for row, columns in layout.items():
            for col in columns:
                assert version in cols[col], (version, row, col)
