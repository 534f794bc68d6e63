"""The national format's cross-checks: failures are listed, numbers are never changed."""

from normalize.checks import check_t3, check_t4, check_text, compact
from normalize.record import Fact
from tests import grids

COLS = grids.T3_COLUMNS


def t3_facts(values):
    return [Fact("t3", row, col, float(v) if v not in ("", None) else None, v, None if v else "blank")
            for row, cells in values.items() for col, v in zip(COLS, cells)]


def codes(issues):
    return sorted({i.code for i in issues})


def test_balanced_table_passes():
    assert check_t3(t3_facts(grids.balanced_t3()), "2021") == []


def test_balance_identity_failure_names_the_column():
    values = grids.balanced_t3()
    values["carried_forward"][0] = "3"
    values["carried_forward"][6] = "3"
    issues = check_t3(t3_facts(values), "2021")
    assert "t3.balance" in codes(issues)
    assert any("natural_person" in i.message for i in issues if i.code == "t3.balance")


def test_outcomes_must_add_up_to_total_processed():
    values = grids.balanced_t3()
    values["granted"][0] = "49"
    values["granted"][6] = "52"
    assert "t3.outcomes" in codes(check_t3(t3_facts(values), "2021"))


def test_applicant_columns_must_add_up_to_total():
    values = grids.balanced_t3()
    values["new_received"][6] = "100"
    assert "t3.applicants" in codes(check_t3(t3_facts(values), "2021"))


def test_blank_cells_skip_the_check_rather_than_count_as_zero():
    values = grids.balanced_t3()
    values["new_received"][6] = ""
    assert check_t3(t3_facts(values), "2021") == []


def test_missing_rows_are_named():
    values = grids.balanced_t3()
    del values["withheld_state_secret"]
    issues = check_t3(t3_facts(values), "2021")
    assert any(i.code == "t3.missing_rows" and "withheld_state_secret" in i.message for i in issues)


def test_2019_table_with_one_other_row_is_complete():
    assert check_t3(t3_facts(grids.balanced_t3(grids.T3_LAYOUT_2019)), "2019") == []


def test_t4_rows_add_up():
    numbers = grids.T4_VALUES
    facts = [Fact("t4", r, c, float(numbers[i * 5 + j]), numbers[i * 5 + j])
             for i, r in enumerate(["review", "litigation_direct", "litigation_after_review"])
             for j, c in enumerate(["upheld", "corrected", "other", "pending", "total"])]
    assert check_t4(facts) == []
    facts[4] = Fact("t4", "review", "total", 15.0, "15")
    assert codes(check_t4(facts)) == ["t4.rows"]


def test_numbers_quoted_in_the_text_are_compared_with_table_3():
    facts = t3_facts(grids.balanced_t3())
    assert check_text(compact("全年共收到政府信息公开申请 99 件，均按期答复。"), facts) == []
    issues = check_text(compact("全年共收到政府信息公开申请17件。"), facts)
    assert codes(issues) == ["text.quote"] and issues[0].severity == "warning"


def test_quotes_printed_with_full_width_digits():
    facts = t3_facts(grids.balanced_t3())
    assert check_text(compact("全年共收到政府信息公开申请９９件。"), facts) == []
    assert check_text(compact("全年共收到政府信息公开申请１７件。"), facts) != []


def t4_facts(numbers=grids.T4_VALUES):
    return [Fact("t4", r, c, float(numbers[i * 5 + j]), numbers[i * 5 + j])
            for i, r in enumerate(["review", "litigation_direct", "litigation_after_review"])
            for j, c in enumerate(["upheld", "corrected", "other", "pending", "total"])]


def test_review_and_litigation_quotes_are_compared_with_table_4():
    facts = t4_facts()  # review total 14; litigation totals 16 + 8
    assert check_text(compact("本年度被申请行政复议14件，提起行政诉讼24件。"), facts) == []
    assert check_text(compact("行政复议结果维持11件。"), facts) == []  # a number printed in the row
    issues = check_text(compact("本年度发生政府信息公开行政复议3起。"), facts)
    assert [i.code for i in issues] == ["text.quote"]
    assert "table 4 review" in issues[0].message
