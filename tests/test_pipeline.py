"""Bytes → record: statuses, format versions, pre-2019 appendix facts, failed checks."""

import pytest

from normalize.record import Source, normalize_bytes
from tests import grids


def seed_layout(title_lines, paragraphs_before, tables_with_headings, paragraphs_after=()):
    """A report in the seed's plain-text layout: one TAB-indented line per cell, rows split by blank lines."""
    lines = [*title_lines, "", *paragraphs_before]
    for heading, rows in tables_with_headings:
        lines.append(heading)
        for row in rows:
            lines.extend("\t" + cell for cell in row)
            lines.append("")
        lines.append("")
    lines.extend(paragraphs_after)
    return "\n".join(lines).encode("utf-8")


def t3_rows(layout):
    values = grids.balanced_t3(layout)
    return grids.t3_text_lines(values, layout), values


def full_report(title, layout, t2_table, extra_after=()):
    t3, values = t3_rows(layout)
    t4 = [["行政复议", "行政诉讼"], ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"],
          grids.T4_VALUES]
    data = seed_layout(
        title,
        ["一、总体情况", "本年度我们依法做好政府信息公开工作，全年共收到政府信息公开申请99件。"],
        [("二、主动公开政府信息情况", t2_table),
         ("三、收到和处理政府信息公开申请情况", t3),
         ("四、政府信息公开行政复议、行政诉讼情况", t4)],
        ["五、存在的主要问题及改进情况", "公开的及时性仍需提高，下一步将加强培训。",
         "六、其他需要报告的事项", "本机关本年度未收取信息处理费。", *extra_after],
    )
    return data, values


def test_2021_report_from_text_is_ok_with_all_three_tables():
    data, _ = full_report(["重庆市大足区人民政府办公室", "2023年政府信息公开工作年度报告"],
                          grids.T3_LAYOUT_2021, grids.T2_2021, ["重庆市大足区人民政府办公室", "2024年1月20日"])
    record = normalize_bytes(data, Source(path="x.txt"))
    r = record.report
    assert (r["status"], r["format_version"], r["year"], r["agency_name"]) == ("ok", "2021", 2023, "重庆市大足区人民政府办公室")
    assert (r["admin_code"], r["county"], r["agency_kind"]) == ("500111", "大足区", "general_office")
    assert str(r["publish_date"]) == "2024-01-20"
    assert r["section_problems"].startswith("公开的及时性")
    assert {f.table for f in record.facts} == {"t2", "t3", "t4"}
    assert r["issues"] == []


def test_an_agency_name_without_region_takes_the_portals_region():
    data, _ = full_report(["区住房城乡建设委2023年政府信息公开工作年度报告"], grids.T3_LAYOUT_2021, grids.T2_2021)
    r = normalize_bytes(data, Source(path="x.txt", region_hint="500111")).report
    assert (r["admin_code"], r["province"], r["city"], r["county"]) == ("500111", "重庆市", "重庆市", "大足区")
    assert [(i["code"], i["severity"]) for i in r["issues"]] == [("meta.region_from_hint", "info")]
    assert r["status"] == "ok"
    r = normalize_bytes(data, Source(path="x.txt")).report  # no portal: unresolved, flagged
    assert r["admin_code"] is None
    assert [i["code"] for i in r["issues"]] == ["meta.region_unresolved"]


def test_2019_format_is_detected_from_labels_not_the_year():
    # a 2021 report year printed with the 2019 tables: the labels win, the mismatch is flagged
    data, _ = full_report(["某某区人民政府办公室2021年政府信息公开工作年度报告"], grids.T3_LAYOUT_2019, grids.T2_2019)
    record = normalize_bytes(data)
    assert record.report["format_version"] == "2019"
    assert any(i["code"] == "meta.format_year_mismatch" for i in record.report["issues"])
    keys = {(f.table, f.row_key) for f in record.facts}
    assert ("t3", "other_handling") in keys and ("t2", "other_services") in keys


def test_a_failed_identity_is_listed_and_the_number_kept_as_printed():
    data, values = full_report(["某某区人民政府2022年政府信息公开工作年度报告"], grids.T3_LAYOUT_2021, grids.T2_2021)
    data = data.replace("\t95\n\t3\n\t0\n\t1\n\t0\n\t0\n\t99".encode(), "\t95\n\t3\n\t0\n\t1\n\t0\n\t0\n\t98".encode(), 1)
    record = normalize_bytes(data)
    assert record.report["status"] == "ok"
    assert record.report["checks_failed"] >= 1
    fact = next(f for f in record.facts if (f.table, f.row_key, f.col_key) == ("t3", "new_received", "total"))
    assert fact.value == 98


def test_pre2019_report_keeps_text_and_every_appendix_number():
    data = seed_layout(
        ["某某县人民政府办公室2016年政府信息公开工作年度报告"],
        ["一、概述", "2016年，我县认真贯彻《中华人民共和国政府信息公开条例》，稳步推进公开工作。" * 3,
         "二、主动公开政府信息情况", "全年主动公开政府信息1200条。"],
        [("附表：政府信息公开情况统计表", [["指标", "单位", "数量"], ["主动公开政府信息数", "条", "1200"],
                                          ["受理申请数", "件", "35"], ["行政复议数", "件", "—"]])],
        ["六、其他需要报告的事项", "无。"],
    )
    record = normalize_bytes(data)
    r = record.report
    assert (r["status"], r["format_version"], r["year"]) == ("ok", "pre2019", 2016)
    assert r["section_overview"].startswith("2016年")
    got = {(f.row_key, f.col_key): (f.value, f.value_flag) for f in record.facts}
    assert all(f.table == "appendix" for f in record.facts)
    assert got[("主动公开政府信息数", "数量")] == (1200, None)
    assert next(f.unit for f in record.facts if f.row_key == "受理申请数") == "件"
    assert got[("受理申请数", "数量")] == (35, None)
    assert got[("行政复议数", "数量")] == (None, "dash")


def test_a_page_that_is_not_a_report():
    html = "<html><head><title>政府信息公开指南</title></head><body><div class='TRS_Editor'>" \
           "<p>为了更好地提供政府信息公开服务，特编制本指南。</p><p>一、公开的主体和范围。</p></div></body></html>"
    record = normalize_bytes(html.encode("utf-8"))
    assert record.report["status"] == "not_a_report"
    assert record.report["format_version"] is None
    assert record.facts == []
    assert any(i["code"] == "meta.not_a_report" for i in record.report["issues"])


def test_report_id_is_stable_and_follows_the_words_not_the_bytes():
    data, _ = full_report(["某某区人民政府2022年政府信息公开工作年度报告"], grids.T3_LAYOUT_2021, grids.T2_2021)
    first = normalize_bytes(data).report["report_id"]
    assert normalize_bytes(data).report["report_id"] == first
    assert normalize_bytes(data.replace(b"\n", b"\r\n")).report["report_id"] == first


def test_a_bug_in_a_later_stage_still_gives_a_row(monkeypatch):
    from normalize import pipeline

    def broken(doc):
        raise RuntimeError("a mapper bug")

    monkeypatch.setattr(pipeline.tables, "map_document", broken)
    data, _ = full_report(["某某区人民政府2022年政府信息公开工作年度报告"], grids.T3_LAYOUT_2021, grids.T2_2021)
    record = normalize_bytes(data)
    assert record.report["status"] == "failed"
    assert record.report["full_text"]  # the text is kept
    assert record.report["issues"][0]["code"] == "normalize.crash"


def test_tables_disagreeing_on_the_format_are_flagged():
    # table 2 printed in the 2019 layout, table 3 with the 2021 （六） sub-rows
    data, _ = full_report(["某某区人民政府2021年政府信息公开工作年度报告"], grids.T3_LAYOUT_2021, grids.T2_2019)
    record = normalize_bytes(data)
    assert record.report["format_version"] == "2021"
    assert any(i["code"] == "meta.format_conflict" for i in record.report["issues"])
    assert ("t2", "other_services") in {(f.table, f.row_key) for f in record.facts}  # keys follow what is printed


@pytest.mark.parametrize(
    "streams, fmt, status, reason",
    [
        (("WordDocument", "1Table"), "doc", "failed", "damaged or not a Word document"),
        (("WordDocument", "1Table", "WpsCustomData"), "wps", "failed", "damaged or not a Word document"),
        (("Workbook",), "xls", "failed", "damaged or not an Excel workbook"),
    ],
)
def test_hollow_office_files_fail_with_a_reason(streams, fmt, status, reason):
    """Compound files that name the streams but hold nothing in them: refused before LibreOffice."""
    from tests.test_sniff import _ole

    record = normalize_bytes(_ole(*streams))
    r = record.report
    assert (r["source_format"], r["status"]) == (fmt, status)
    assert r["issues"][0]["message"].startswith(f"{fmt}: {reason}")
