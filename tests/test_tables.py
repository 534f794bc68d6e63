"""Tables → canonical facts, on grids drawn the way real reports draw them."""

import copy

import pytest

from normalize.model import Document, Paragraph
from normalize.tables import classify, map_document
from tests import grids


def facts_of(doc, table="t3"):
    mapped = map_document(doc)
    return {(f.row_key, f.col_key): f for f in mapped.facts if f.table == table}, mapped


def expected_t3(values, layout):
    return {(key, col): values[key][i] for key, _, _ in layout for i, col in enumerate(grids.T3_COLUMNS)}


@pytest.mark.parametrize("layout", [grids.T3_LAYOUT_2021, grids.T3_LAYOUT_2019], ids=["2021", "2019"])
def test_t3_merged_grid_gives_every_cell(layout):
    values = grids.balanced_t3(layout)
    got, mapped = facts_of(grids.report(*grids.t3_grid(values, layout)))
    for (row, col), raw in expected_t3(values, layout).items():
        assert got[(row, col)].value == float(raw), (row, col)
    assert not [i for i in mapped.issues if i.severity == "error"]


def test_t3_split_over_two_pages_is_read_as_one():
    values = grids.balanced_t3()
    tables = grids.t3_grid(values, split_after=13)
    doc = Document([Paragraph("三、收到和处理政府信息公开申请情况"), tables[0], Paragraph("— 3 —"), tables[1],
                    Paragraph("四、政府信息公开行政复议、行政诉讼情况")], "pdf")
    got, _ = facts_of(doc)
    assert got[("unavailable_not_held", "total")].value == 32  # first row of the second part
    assert got[("carried_forward", "natural_person")].value == 2
    assert len([k for k in got if k[0] != "other_handling"]) == 25 * 7


def test_t3_plain_text_rows_without_grid():
    values = grids.balanced_t3()
    got, _ = facts_of(grids.report(grids.t3_text_rows(values)))
    for (row, col), raw in expected_t3(values, grids.T3_LAYOUT_2021).items():
        assert got[(row, col)].value == float(raw)


def test_blank_total_column_stays_blank_never_zero():
    values = grids.balanced_t3()
    for key in values:
        if key != "total_processed":
            values[key][6] = ""
    got, _ = facts_of(grids.report(*grids.t3_grid(values)))
    assert got[("new_received", "total")].value is None
    assert got[("new_received", "total")].value_flag == "blank"
    assert got[("total_processed", "total")].value == 99


def test_dash_slash_and_annotated_cells():
    values = grids.balanced_t3()
    values["granted"][2] = "—"
    values["granted"][3] = "/"
    values["carried_over"][0] = "2（含补正中1件）"
    got, _ = facts_of(grids.report(*grids.t3_grid(values)))
    assert (got[("granted", "research_institution")].value, got[("granted", "research_institution")].value_flag) == (None, "dash")
    assert got[("granted", "social_welfare_org")].value_flag == "slash"
    f = got[("carried_over", "natural_person")]
    assert (f.value, f.value_flag, f.value_raw) == (2, "annotated", "2（含补正中1件）")


def test_typo_and_numbering_variants_land_on_their_keys():
    layout = [list(r) for r in grids.T3_LAYOUT_2021]
    layout[5][2] = "2.其他法律行政止公开"  # a real report's typo
    layout[13][2] = "2、没有现成信息需要另行制作"
    layout = [tuple(r) for r in layout]
    values = grids.balanced_t3(layout)
    values["withheld_prohibited_by_law"] = ["1", "0", "0", "0", "0", "0", "1"]
    got, _ = facts_of(grids.report(*grids.t3_grid(values, layout)))
    assert got[("withheld_prohibited_by_law", "total")].value == 1
    assert got[("unavailable_needs_creation", "total")].value == 0


def test_other_handling_is_derived_from_its_printed_subrows():
    values = grids.balanced_t3()
    values["other_overdue_correction"] = ["2", "0", "0", "0", "0", "0", "2"]
    values["other_other"] = ["1", "0", "0", "0", "0", "0", "1"]
    got, mapped = facts_of(grids.report(*grids.t3_grid(values)))
    derived = got[("other_handling", "natural_person")]
    assert (derived.value, derived.value_flag, derived.value_raw) == (3, "derived", None)
    assert mapped.version_votes["t3"] == {"2021"}


def test_header_cells_merged_differently_from_value_cells():
    # a value cell spanning two grid columns under a header that spans two as well
    values = grids.balanced_t3()
    tables = grids.t3_grid(values)
    table = tables[0]
    shifted = []
    for c in table.cells:
        # widen the 自然人 column to two grid columns: header and values both colspan 2
        if c.col >= 4:
            c = type(c)(c.text, c.row, c.col + 1, c.rowspan, c.colspan)
        elif c.col == 3 or (c.col < 3 and c.col + c.colspan > 3):
            c = type(c)(c.text, c.row, c.col, c.rowspan, c.colspan + 1)
        shifted.append(c)
    table.cells = shifted
    got, _ = facts_of(grids.report(table))
    assert got[("new_received", "natural_person")].value == 95
    assert got[("new_received", "commercial_enterprise")].value == 3
    assert got[("new_received", "total")].value == 99


def test_t4_fifteen_numbers_by_header():
    got, mapped = facts_of(grids.report(grids.t4_grid()), table="t4")
    assert got[("review", "upheld")].value == 11
    assert got[("review", "total")].value == 14
    assert got[("litigation_direct", "total")].value == 16
    assert got[("litigation_after_review", "pending")].value == 1
    assert len(got) == 15


def test_t2_2021_keys():
    got, mapped = facts_of(grids.report(grids.t2_2021_rows()), table="t2")
    assert got[("normative_documents", "repealed")].value == 252
    assert got[("fees", "amount_10k_yuan")].value == 7545
    assert got[("fees", "amount_10k_yuan")].unit == "万元"
    assert mapped.version_votes["t2"] == {"2021"}


def test_t2_2019_keys_are_never_mapped_onto_2021_ones():
    got, mapped = facts_of(grids.report(grids.t2_2019_rows()), table="t2")
    assert got[("licensing", "change")].value == 3
    assert got[("other_services", "change")].value == -1
    assert got[("procurement", "amount")].value == 251000
    assert got[("procurement", "amount")].unit == "元"
    assert got[("normative_documents", "total_published")].value == 37
    assert not any(k[1] in ("issued", "repealed", "in_force") for k in got)
    assert mapped.version_votes["t2"] == {"2019"}


def test_classify_tables_by_their_labels():
    assert classify(grids.t3_grid(grids.balanced_t3())[0]) == "t3"
    assert classify(grids.t4_grid()) == "t4"
    assert classify(grids.t2_2021_rows()) == "t2"


def test_unmatched_row_with_numbers_is_reported_not_dropped():
    values = grids.balanced_t3()
    layout = [list(r) for r in grids.T3_LAYOUT_2021]
    layout[16][2] = "2.某种无法识别的情形说明"
    layout = [tuple(r) for r in layout]
    values = copy.deepcopy(values)
    values["not_processed_duplicate"] = ["5", "0", "0", "0", "0", "0", "5"]
    _, mapped = facts_of(grids.report(*grids.t3_grid(values, layout)))
    assert any(i.code == "t3.unmapped_row" and "5" in i.message for i in mapped.issues)


def test_other_subrows_when_the_group_label_is_printed_on_the_first_row_only():
    # plain-text exports and flattened pages print （六）其他处理 once, then "2." and "3.其他" alone
    values = grids.balanced_t3()
    values["other_other"] = ["1", "0", "0", "0", "0", "0", "1"]
    values["granted"] = ["49", "2", "0", "1", "0", "0", "52"]
    got, mapped = facts_of(grids.report(grids.t3_text_rows(values)))
    assert got[("other_other", "total")].value == 1
    assert got[("other_handling", "total")].value_flag == "derived"
    assert not [i for i in mapped.issues if i.severity == "error"]
