"""Real reports give exactly the numbers they print, cell for cell.

The files are read in place from ../shared (never copied into the project); their
`*.expected.json` were read by eye and checked with the table-3 identities.
"""

import json
from pathlib import Path

import pytest

from normalize.record import normalize_file

SHARED = Path(__file__).resolve().parents[2] / "shared"
GOLDEN = [
    SHARED / "seed" / "000_4ffaf3414a688a66.txt",
    SHARED / "samples" / "huaian-hongze-2024.pdf",
]


def expected_of(path: Path) -> dict:
    return json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))


@pytest.fixture(scope="module", params=GOLDEN, ids=lambda p: p.name)
def golden(request):
    path = request.param
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared missing)")
    return normalize_file(path), expected_of(path)


def test_every_printed_cell(golden):
    record, expected = golden
    printed = {(f.table, f.row_key, f.col_key): f for f in record.facts if f.value_flag != "derived"}
    want = {(e["table"], e["row_key"], e["col_key"]): e["value"] for e in expected["facts"]}
    mismatches = {k: (printed[k].value if k in printed else "MISSING", v) for k, v in want.items()
                  if k not in printed or printed[k].value != v}
    assert mismatches == {}
    assert set(printed) == set(want), f"extra facts: {sorted(set(printed) - set(want))}"


def test_report_identity(golden):
    record, expected = golden
    report = record.report
    assert report["agency_name"] == expected["agency_name"]
    assert report["year"] == expected["year"]
    assert report["format_version"] == expected["format_version"]
    if "admin_code" in expected:
        assert report["admin_code"] == expected["admin_code"]


def test_status_ok_and_identities_hold(golden):
    record, _ = golden
    assert record.report["status"] == "ok"
    assert record.report["checks_failed"] == 0
    assert record.report["section_overview"] and record.report["section_other"]
