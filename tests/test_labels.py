"""Printed labels are folded to their words before they are compared with the spec."""

import pytest

from normalize.labels import fold, similarity, spec


@pytest.mark.parametrize(
    "printed, folded",
    [
        ("1.属于国家秘密", "属于国家秘密"),
        ("1、属于国家秘密", "属于国家秘密"),
        ("（三）不予公开", "不予公开"),
        ("三、（一）予以公开", "予以公开"),
        ("（二）部分公开（区分处理的，只计这一情 形，不\n计其他情形）", "部分公开区分处理的只计这一情形不计其他情形"),
        ("3.危及“三安全一稳定”", "危及三安全一稳定"),
        ("（七）总计", "总计"),
    ],
)
def test_fold_removes_numbering_spaces_and_punctuation(printed, folded):
    assert fold(printed) == folded


def test_a_typo_still_scores_closest_to_its_own_label():
    typo = fold("2.其他法律行政止公开")
    scores = {row.key: row.score(typo) for row in spec().t3.rows}
    assert max(scores, key=scores.get) == "withheld_prohibited_by_law"


def test_similarity_is_one_for_equal_labels_and_low_for_unrelated_ones():
    assert similarity("予以公开", "予以公开") == 1.0
    assert similarity("属于三类内部事务信息", "属于四类过程性信息") < 0.5


def test_spec_row_counts_follow_the_national_formats():
    t3 = spec().t3
    # SCHEMA.md: 2019 has 23 rows; 2021 has 25 (with the three （六） sub-rows instead of one)
    assert len(t3.row_keys("2019")) == 23
    assert len([k for k in t3.row_keys("2021") if k != "other_handling"]) == 25
