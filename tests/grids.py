"""Builders of the national format's tables as logical grids (our own layout code).

They draw tables the way real reports merge cells: table 3's header spans, the
三、本年度办理结果 column spanning every outcome row, （三）不予公开 spanning its
eight sub-rows. Tests feed them straight to the table mapper.
"""

from __future__ import annotations

from normalize.model import Cell, Document, Paragraph, Table

T3_COLUMNS = ["natural_person", "commercial_enterprise", "research_institution",
              "social_welfare_org", "legal_service_org", "other_org", "total"]

# (row_key, group label or None, leaf label) in printed order
T3_LAYOUT_2021 = [
    ("new_received", None, "一、本年新收政府信息公开申请数量"),
    ("carried_over", None, "二、上年结转政府信息公开申请数量"),
    ("granted", "", "（一）予以公开"),
    ("partially_granted", "", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    ("withheld_state_secret", "（三）不予公开", "1.属于国家秘密"),
    ("withheld_prohibited_by_law", "（三）不予公开", "2.其他法律行政法规禁止公开"),
    ("withheld_security_stability", "（三）不予公开", "3.危及“三安全一稳定”"),
    ("withheld_third_party_rights", "（三）不予公开", "4.保护第三方合法权益"),
    ("withheld_internal_affairs", "（三）不予公开", "5.属于三类内部事务信息"),
    ("withheld_process_information", "（三）不予公开", "6.属于四类过程性信息"),
    ("withheld_law_enforcement_files", "（三）不予公开", "7.属于行政执法案卷"),
    ("withheld_administrative_query", "（三）不予公开", "8.属于行政查询事项"),
    ("unavailable_not_held", "（四）无法提供", "1.本机关不掌握相关政府信息"),
    ("unavailable_needs_creation", "（四）无法提供", "2.没有现成信息需要另行制作"),
    ("unavailable_unclear_after_correction", "（四）无法提供", "3.补正后申请内容仍不明确"),
    ("not_processed_petition", "（五）不予处理", "1.信访举报投诉类申请"),
    ("not_processed_duplicate", "（五）不予处理", "2.重复申请"),
    ("not_processed_publication", "（五）不予处理", "3.要求提供公开出版物"),
    ("not_processed_excessive", "（五）不予处理", "4.无正当理由大量反复申请"),
    ("not_processed_confirmation", "（五）不予处理", "5.要求行政机关确认或重新出具已获取信息"),
    ("other_overdue_correction", "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ("other_unpaid_fee", "（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
    ("other_other", "（六）其他处理", "3.其他"),
    ("total_processed", "", "（七）总计"),
    ("carried_forward", None, "四、结转下年度继续办理"),
]
T3_LAYOUT_2019 = [r for r in T3_LAYOUT_2021 if r[1] != "（六）其他处理"]
T3_LAYOUT_2019.insert(-2, ("other_handling", "", "（六）其他处理"))


def balanced_t3(layout=T3_LAYOUT_2021) -> dict[str, list[str]]:
    """Printed cells of a table 3 whose identities hold (numbers in the style of a real report)."""
    rows = {key: ["0"] * 7 for key, _, _ in layout}
    rows["new_received"] = ["95", "3", "0", "1", "0", "0", "99"]
    rows["carried_over"] = ["2", "0", "0", "0", "0", "0", "2"]
    rows["granted"] = ["50", "2", "0", "1", "0", "0", "53"]
    rows["partially_granted"] = ["9", "0", "0", "0", "0", "0", "9"]
    rows["unavailable_not_held"] = ["31", "1", "0", "0", "0", "0", "32"]
    rows["not_processed_duplicate"] = ["5", "0", "0", "0", "0", "0", "5"]
    rows["total_processed"] = ["95", "3", "0", "1", "0", "0", "99"]
    rows["carried_forward"] = ["2", "0", "0", "0", "0", "0", "2"]
    return rows


def t3_grid(values: dict[str, list[str]], layout=T3_LAYOUT_2021, *, split_after: int | None = None,
            header_value_misalign: bool = False) -> list[Table]:
    """Table 3 as real grids: label columns 0–2, the seven number columns 3–9."""
    cells: list[Cell] = [
        Cell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 0, 0, 3, 3),
        Cell("申请人情况", 0, 3, 1, 7),
        Cell("自然人", 1, 3, 2, 1),
        Cell("法人或其他组织", 1, 4, 1, 5),
        Cell("总计", 1, 9, 2, 1),
    ]
    cells += [Cell(label, 2, 4 + i, 1, 1) for i, label in enumerate(["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"])]
    r = 3
    outcome_rows = [i for i, (_, group, _) in enumerate(layout) if group is not None]
    first_outcome = r + outcome_rows[0]
    cells.append(Cell("三、本年度办理结果", first_outcome, 0, len(outcome_rows), 1))
    groups_started: set[str] = set()
    for i, (key, group, leaf) in enumerate(layout):
        row = r + i
        if group is None:
            cells.append(Cell(leaf, row, 0, 1, 3))
        elif group == "":
            cells.append(Cell(leaf, row, 1, 1, 2))
        else:
            if group not in groups_started:
                span = sum(1 for _, g, _ in layout if g == group)
                cells.append(Cell(group, row, 1, span, 1))
                groups_started.add(group)
            cells.append(Cell(leaf, row, 2, 1, 1))
        for c, text in enumerate(values[key]):
            cells.append(Cell(text, row, 3 + c, 1, 1))
    table = Table(cells)
    if split_after is None:
        return [table]
    cut = r + split_after
    first = [c for c in cells if c.row < cut]
    first = [Cell(c.text, c.row, c.col, min(c.rowspan, cut - c.row), c.colspan) for c in first]
    second = []
    for c in cells:
        if c.row + c.rowspan <= cut:
            continue
        start = max(c.row, cut)
        second.append(Cell(c.text if c.row >= cut else "", start - cut, c.col, c.row + c.rowspan - start, c.colspan))
    return [Table(first), Table(second, page=2)]


def t3_text_rows(values: dict[str, list[str]], layout=T3_LAYOUT_2021) -> Table:
    """Table 3 the way a plain-text export prints it: no spans, rows of different widths."""
    return Table.from_rows(t3_text_lines(values, layout))


def t3_text_lines(values: dict[str, list[str]], layout=T3_LAYOUT_2021) -> list[list[str]]:
    rows = [["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况"],
            ["", "自然人", "法人或其他组织", "总计"],
            ["", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""]]
    seen: set[str] = set()
    for key, group, leaf in layout:
        if group is None:
            label = [leaf]
        elif group == "":
            label = ["", leaf]
        else:
            label = ["", group if group not in seen else "", leaf]
            seen.add(group)
        rows.append(label + values[key])
    return rows


T4_VALUES = ["11", "0", "1", "2", "14", "14", "0", "1", "1", "16", "7", "0", "0", "1", "8"]


def t4_grid(numbers=T4_VALUES) -> Table:
    cells = [Cell("行政复议", 0, 0, 1, 5), Cell("行政诉讼", 0, 5, 1, 10),
             Cell("未经复议直接起诉", 1, 5, 1, 5), Cell("复议后起诉", 1, 10, 1, 5)]
    leaf = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    cells += [Cell(t, 1, i, 2, 1) for i, t in enumerate(leaf)]
    cells += [Cell(t, 2, 5 + i, 1, 1) for i, t in enumerate(leaf * 2)]
    cells += [Cell(t, 3, i, 1, 1) for i, t in enumerate(numbers)]
    return Table(cells)


def t2_2021_rows() -> Table:
    return Table.from_rows(T2_2021)


T2_2021 = [
    ["第二十条第（一）项"],
    ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
    ["规章", "13", "11", "148"],
    ["行政规范性文件", "25", "252", "608"],
    ["第二十条第（五）项"],
    ["信息内容", "本年处理决定数量"],
    ["行政许可", "9487"],
    ["第二十条第（六）项"],
    ["信息内容", "本年处理决定数量"],
    ["行政处罚", "2776"],
    ["行政强制", "84"],
    ["第二十条第（八）项"],
    ["信息内容", "本年收费金额（单位：万元）"],
    ["行政事业性收费", "7545"],
]


def t2_2019_rows() -> Table:
    return Table.from_rows(T2_2019)


T2_2019 = [
    ["第二十条第（一）项"],
    ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"],
    ["规章", "0", "0", "0"],
    ["规范性文件", "4", "4", "37"],
    ["第二十条第（五）项"],
    ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
    ["行政许可", "120", "+3", "2001"],
    ["其他对外管理服务事项", "12", "-1", "40"],
    ["第二十条第（六）项"],
    ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
    ["行政处罚", "55", "0", "310"],
    ["行政强制", "6", "0", "12"],
    ["第二十条第（八）项"],
    ["信息内容", "上一年项目数量", "本年增/减"],
    ["行政事业性收费", "3", "0"],
    ["第二十条第（九）项"],
    ["信息内容", "采购项目数量", "采购总金额"],
    ["政府集中采购", "14", "251000元"],
]


def report(*tables: Table, version_heading: bool = True) -> Document:
    blocks: list = [Paragraph("某某区人民政府办公室2023年政府信息公开工作年度报告"), Paragraph("一、总体情况"),
                    Paragraph("本年度工作平稳推进。")]
    for t in tables:
        blocks.append(t)
    return Document(blocks, "html")
