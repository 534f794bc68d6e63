"""Agency, year and publish date come from the title and body, never from a URL."""

from datetime import date

import pytest

from normalize.metadata import agency_kind, identify


@pytest.mark.parametrize(
    "title, agency, year",
    [
        ("重庆市人民政府办公厅2023年政府信息公开工作年度报告", "重庆市人民政府办公厅", 2023),
        ("重庆市大足区经济和信息化委员会2024年度政府信息公开工作年度报告", "重庆市大足区经济和信息化委员会", 2024),
        ("2022年重庆市铜梁区人民政府政府信息公开工作年度报告", "重庆市铜梁区人民政府", 2022),
        ("关于渝中区朝天门街道办事处2025年政府信息公开工作年度报告", "渝中区朝天门街道办事处", 2025),
        ("北京市东城区人民政府二〇二三年政府信息公开工作年度报告", "北京市东城区人民政府", 2023),
        ("淮安市洪泽区人民政府 2024 年政府信息公开工作年度报告", "淮安市洪泽区人民政府", 2024),
        ("重庆市綦江区人民政府关于2022年度政府信息公开工作年度报告", "重庆市綦江区人民政府", 2022),
        ("《重庆市北碚区人民政府2025年政府信息公开工作年度报告》", "重庆市北碚区人民政府", 2025),
    ],
)
def test_agency_and_year_from_title(title, agency, year):
    meta = identify([title], [])
    assert (meta.agency_name, meta.year) == (agency, year)
    assert meta.looks_like_report


def test_title_over_two_lines_at_the_top_of_the_body():
    meta = identify([""], ["重庆市人民政府办公厅", "2023年政府信息公开工作年度报告", "根据……编制本报告。"])
    assert (meta.agency_name, meta.year) == ("重庆市人民政府办公厅", 2023)


def test_year_falls_back_to_the_body_and_says_so():
    meta = identify(["某某局信息公开工作情况"], ["本报告统计期限自2020年1月1日起至2020年12月31日止。"])
    assert meta.year == 2020
    assert any(i.code == "meta.year_from_body" for i in meta.issues)


def test_missing_year_is_an_issue_not_a_guess():
    meta = identify(["政府信息公开工作年度报告"], ["没有任何年份的正文。"])
    assert meta.year is None
    assert any(i.code == "meta.year_missing" for i in meta.issues)


def test_publish_date_is_the_signature_line():
    paragraphs = ["……", "重庆市大足区人民政府办公室", "2024年1月20日"]
    meta = identify(["重庆市大足区人民政府办公室2023年政府信息公开工作年度报告"], paragraphs)
    assert meta.publish_date == date(2024, 1, 20)


@pytest.mark.parametrize(
    "name, kind",
    [("重庆市人民政府", "government"), ("重庆市人民政府办公厅", "general_office"),
     ("铜梁区蒲吕街道办事处", "township"), ("某某镇人民政府", "township"),
     ("重庆市发展和改革委员会", "department"), ("渝中区大数据应用发展管理局", "department"),
     ("两江新区管理委员会", "development_zone"), (None, None),
     # a 镇/乡人民政府 is a township, never a government
     ("某某乡人民政府", "township"), ("重庆市大足区龙水镇人民政府", "township"), ("朝天门街道办事处", "township"),
     ("重庆两江新区管理委员会", "development_zone"), ("宿迁经济技术开发区管委会", "development_zone"),
     ("重庆高新技术产业开发区管理委员会", "development_zone"), ("上海市浦东新区人民政府", "government"),
     ("重庆市国有资产监督管理委员会", "department"), ("两江新区建设管理局", "department"),
     ("重庆市大足区人民政府办公室", "general_office"), ("某某", None)],
)
def test_agency_kind(name, kind):
    assert agency_kind(name) == kind
