"""The printed layout of the national format's tables, as a logical grid.

Every renderer (HTML, DOCX, text, PDF) draws the same `Grid`: cells with a grid
position, row/col spans and, for number cells, the canonical key they print. Labels
follow the national formats' wording (国办公开办函〔2019〕60号 and 〔2021〕30号).
"""

from __future__ import annotations

from dataclasses import dataclass, field

APPLICANT_COLUMNS = ("natural_person", "commercial_enterprise", "research_institution",
                     "social_welfare_org", "legal_service_org", "other_org")
T3_COLUMNS = APPLICANT_COLUMNS + ("total",)
T4_ROWS = ("review", "litigation_direct", "litigation_after_review")
T4_COLUMNS = ("upheld", "corrected", "other", "pending", "total")

WITHHELD = ("withheld_state_secret", "withheld_prohibited_by_law", "withheld_security_stability",
            "withheld_third_party_rights", "withheld_internal_affairs", "withheld_process_information",
            "withheld_law_enforcement_files", "withheld_administrative_query")
UNAVAILABLE = ("unavailable_not_held", "unavailable_needs_creation", "unavailable_unclear_after_correction")
NOT_PROCESSED = ("not_processed_petition", "not_processed_duplicate", "not_processed_publication",
                 "not_processed_excessive", "not_processed_confirmation")
OTHER_SPLIT = ("other_overdue_correction", "other_unpaid_fee", "other_other")

ITEM_LABELS = {
    "withheld_state_secret": "属于国家秘密",
    "withheld_prohibited_by_law": "其他法律行政法规禁止公开",
    "withheld_security_stability": "危及“三安全一稳定”",
    "withheld_third_party_rights": "保护第三方合法权益",
    "withheld_internal_affairs": "属于三类内部事务信息",
    "withheld_process_information": "属于四类过程性信息",
    "withheld_law_enforcement_files": "属于行政执法案卷",
    "withheld_administrative_query": "属于行政查询事项",
    "unavailable_not_held": "本机关不掌握相关政府信息",
    "unavailable_needs_creation": "没有现成信息需要另行制作",
    "unavailable_unclear_after_correction": "补正后申请内容仍不明确",
    "not_processed_petition": "信访举报投诉类申请",
    "not_processed_duplicate": "重复申请",
    "not_processed_publication": "要求提供公开出版物",
    "not_processed_excessive": "无正当理由大量反复申请",
    "not_processed_confirmation": "要求行政机关确认或重新出具已获取信息",
    "other_overdue_correction": "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other_unpaid_fee": "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other_other": "其他",
}


def t3_rows(version: str, other_rows: str = "split") -> list[str]:
    """Row keys of table 3 in printed order (2019: 23 rows, 2021: 25 or 23)."""
    other = list(OTHER_SPLIT) if (version == "2021" and other_rows == "split") else ["other_handling"]
    return (["new_received", "carried_over", "granted", "partially_granted", *WITHHELD, *UNAVAILABLE,
             *NOT_PROCESSED, *other, "total_processed", "carried_forward"])


def t3_outcome_rows(version: str, other_rows: str = "split") -> list[str]:
    rows = t3_rows(version, other_rows)
    return rows[2:-2]


T2_2021 = {
    "regulations": ("issued", "repealed", "in_force"),
    "normative_documents": ("issued", "repealed", "in_force"),
    "licensing": ("decisions",),
    "punishment": ("decisions",),
    "coercion": ("decisions",),
    "fees": ("amount_10k_yuan",),
}
T2_2019 = {
    "regulations": ("made", "published", "total_published"),
    "normative_documents": ("made", "published", "total_published"),
    "licensing": ("previous_count", "change", "decisions"),
    "other_services": ("previous_count", "change", "decisions"),
    "punishment": ("previous_count", "change", "decisions"),
    "coercion": ("previous_count", "change", "decisions"),
    "fees": ("previous_count", "change"),
    "procurement": ("items", "amount"),
}


def t2_cells(version: str) -> dict[str, tuple[str, ...]]:
    return T2_2021 if version == "2021" else T2_2019


@dataclass(slots=True)
class GCell:
    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    key: tuple[str, str, str] | None = None  # canonical key of a number cell
    header: bool = False


@dataclass(slots=True)
class Grid:
    name: str  # t2, t3, t4, appendix
    cells: list[GCell] = field(default_factory=list)
    header_rows: int = 0
    col_weights: list[float] = field(default_factory=list)  # relative widths for DOCX/PDF

    @property
    def n_rows(self) -> int:
        return max((c.row + c.rowspan for c in self.cells), default=0)

    @property
    def n_cols(self) -> int:
        return max((c.col + c.colspan for c in self.cells), default=0)

    def add(self, text: str, row: int, col: int, rowspan: int = 1, colspan: int = 1, *, key=None, header=False):
        self.cells.append(GCell(text, row, col, rowspan, colspan, key, header))

    def starts(self) -> dict[tuple[int, int], GCell]:
        return {(c.row, c.col): c for c in self.cells}

    def owner(self) -> list[list[GCell | None]]:
        grid: list[list[GCell | None]] = [[None] * self.n_cols for _ in range(self.n_rows)]
        for c in self.cells:
            for r in range(c.row, c.row + c.rowspan):
                for k in range(c.col, c.col + c.colspan):
                    grid[r][k] = c
        return grid

    def physical_rows(self) -> list[list[tuple[GCell | None, int]]]:
        """Word's view: per row, the cells as `w:tc` elements — (cell, colspan); a vertical
        continuation of a merged cell is `(None, its colspan)` (an empty cell)."""
        owner = self.owner()
        out = []
        for r in range(self.n_rows):
            row, c = [], 0
            while c < self.n_cols:
                cell = owner[r][c]
                if cell is None:
                    row.append((None, 1))
                    c += 1
                elif cell.row == r:
                    row.append((cell, cell.colspan))
                    c += cell.colspan
                else:
                    row.append((None, cell.colspan))
                    c += cell.colspan
            out.append(row)
        return out

    def widen_column(self, col: int) -> "Grid":
        """A copy in which grid column `col` is two columns wide: every cell that covers it
        spans one more column (a header with colspan=2 above values with colspan=2)."""
        g = Grid(self.name, header_rows=self.header_rows, col_weights=list(self.col_weights))
        for c in self.cells:
            if c.col <= col < c.col + c.colspan:
                g.add(c.text, c.row, c.col, c.rowspan, c.colspan + 1, key=c.key, header=c.header)
            elif c.col > col:
                g.add(c.text, c.row, c.col + 1, c.rowspan, c.colspan, key=c.key, header=c.header)
            else:
                g.add(c.text, c.row, c.col, c.rowspan, c.colspan, key=c.key, header=c.header)
        if g.col_weights and col < len(g.col_weights):
            w = g.col_weights[col] / 2
            g.col_weights[col:col + 1] = [w, w]
        return g


T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


def t3_grid(cells: dict, version: str, other_rows: str = "split", enum: str = ".") -> Grid:
    g = Grid("t3", header_rows=3, col_weights=[1.0, 1.5, 4.0] + [0.95] * 7)
    g.add(T3_NOTE, 0, 0, 3, 3, header=True)
    g.add("申请人情况", 0, 3, 1, 7, header=True)
    g.add("自然人", 1, 3, 2, 1, header=True)
    g.add("法人或其他组织", 1, 4, 1, 5, header=True)
    g.add("总计", 1, 9, 2, 1, header=True)
    for i, h in enumerate(("商业\n企业", "科研\n机构", "社会公益组织", "法律服务机构", "其他")):
        g.add(h, 2, 4 + i, header=True)
    rows = t3_rows(version, other_rows)
    r0 = 3
    outcome_start = r0 + 2
    n_outcomes = len(rows) - 4 + 1  # outcome rows + total_processed
    groups = {
        "withheld_state_secret": ("（三）不予公开", len(WITHHELD)),
        "unavailable_not_held": ("（四）无法提供", len(UNAVAILABLE)),
        "not_processed_petition": ("（五）不予处理", len(NOT_PROCESSED)),
        "other_overdue_correction": ("（六）其他处理", len(OTHER_SPLIT)),
    }
    members = {}
    for first, seq in (("withheld_state_secret", WITHHELD), ("unavailable_not_held", UNAVAILABLE),
                       ("not_processed_petition", NOT_PROCESSED), ("other_overdue_correction", OTHER_SPLIT)):
        for i, k in enumerate(seq):
            members[k] = i + 1
    top = {"new_received": "一、本年新收政府信息公开申请数量",
           "carried_over": "二、上年结转政府信息公开申请数量",
           "carried_forward": "四、结转下年度继续办理"}
    whole = {"granted": "（一）予以公开",
             "partially_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
             "other_handling": "（六）其他处理",
             "total_processed": "（七）总计"}
    g.add("三、本年度办理结果", outcome_start, 0, n_outcomes, 1)
    for i, key in enumerate(rows):
        r = r0 + i
        if key in top:
            g.add(top[key], r, 0, 1, 3)
        elif key in whole:
            g.add(whole[key], r, 1, 1, 2)
        else:
            if key in groups:
                label, n = groups[key]
                g.add(label, r, 1, n, 1)
            g.add(f"{members[key]}{enum}{ITEM_LABELS[key]}", r, 2)
        for j, col in enumerate(T3_COLUMNS):
            k = ("t3", key, col)
            g.add(cells.get(k, ""), r, 3 + j, key=k)
    return g


def t4_grid(cells: dict) -> Grid:
    g = Grid("t4", header_rows=3, col_weights=[1.0] * 15)
    g.add("行政复议", 0, 0, 1, 5, header=True)
    g.add("行政诉讼", 0, 5, 1, 10, header=True)
    heads = ("结果\n维持", "结果\n纠正", "其他\n结果", "尚未\n审结", "总计")
    for i, h in enumerate(heads):
        g.add(h, 1, i, 2, 1, header=True)
    g.add("未经复议直接起诉", 1, 5, 1, 5, header=True)
    g.add("复议后起诉", 1, 10, 1, 5, header=True)
    for i in range(10):
        g.add(heads[i % 5], 2, 5 + i, header=True)
    for i, row in enumerate(T4_ROWS):
        for j, col in enumerate(T4_COLUMNS):
            k = ("t4", row, col)
            g.add(cells.get(k, ""), 3, i * 5 + j, key=k)
    return g


def t2_grid(cells: dict, version: str) -> Grid:
    g = Grid("t2", col_weights=[2.2, 1.4, 1.4, 1.4])
    r = 0

    def item_block(title: str, heads: list[tuple[str, int]], rows: list[tuple[str, str, list[tuple[str, int]]]]):
        nonlocal r
        g.add(title, r, 0, 1, 4, header=True)
        r += 1
        c = 0
        for h, span in heads:
            g.add(h, r, c, 1, span, header=True)
            c += span
        r += 1
        for label, rkey, cols in rows:
            g.add(label, r, 0)
            c = 1
            for ckey, span in cols:
                k = ("t2", rkey, ckey)
                g.add(cells.get(k, ""), r, c, 1, span, key=k)
                c += span
            r += 1

    if version == "2021":
        three = [("issued", 1), ("repealed", 1), ("in_force", 1)]
        item_block("第二十条第（一）项", [("信息内容", 1), ("本年制发件数", 1), ("本年废止件数", 1), ("现行有效件数", 1)],
                   [("规章", "regulations", three), ("行政规范性文件", "normative_documents", three)])
        item_block("第二十条第（五）项", [("信息内容", 1), ("本年处理决定数量", 3)],
                   [("行政许可", "licensing", [("decisions", 3)])])
        item_block("第二十条第（六）项", [("信息内容", 1), ("本年处理决定数量", 3)],
                   [("行政处罚", "punishment", [("decisions", 3)]), ("行政强制", "coercion", [("decisions", 3)])])
        item_block("第二十条第（八）项", [("信息内容", 1), ("本年收费金额（单位：万元）", 3)],
                   [("行政事业性收费", "fees", [("amount_10k_yuan", 3)])])
    else:
        three = [("made", 1), ("published", 1), ("total_published", 1)]
        svc = [("previous_count", 1), ("change", 1), ("decisions", 1)]
        svc_heads = [("信息内容", 1), ("上一年项目数量", 1), ("本年增/减", 1), ("处理决定数量", 1)]
        item_block("第二十条第（一）项", [("信息内容", 1), ("本年新制作数量", 1), ("本年新公开数量", 1), ("对外公开总数量", 1)],
                   [("规章", "regulations", three), ("规范性文件", "normative_documents", three)])
        item_block("第二十条第（五）项", svc_heads,
                   [("行政许可", "licensing", svc), ("其他对外管理服务事项", "other_services", svc)])
        item_block("第二十条第（六）项", svc_heads,
                   [("行政处罚", "punishment", svc), ("行政强制", "coercion", svc)])
        item_block("第二十条第（八）项", [("信息内容", 1), ("上一年项目数量", 1), ("本年增/减", 2)],
                   [("行政事业性收费", "fees", [("previous_count", 1), ("change", 2)])])
        item_block("第二十条第（九）项", [("信息内容", 1), ("采购项目数量", 1), ("采购总金额", 2)],
                   [("政府集中采购", "procurement", [("items", 1), ("amount", 2)])])
    return g


def appendix_grid(cells: dict, rows: list[tuple[str, str, str, str | None]]) -> Grid:
    """rows: (kind, printed label, unit, row_key) with kind "group" or "item"."""
    g = Grid("appendix", header_rows=1, col_weights=[5.0, 1.0, 1.2])
    g.add("统计指标", 0, 0, header=True)
    g.add("单位", 0, 1, header=True)
    g.add("统计数", 0, 2, header=True)
    for i, (kind, label, unit, key) in enumerate(rows, start=1):
        if kind == "group":
            g.add(label, i, 0, 1, 3)
        else:
            g.add(label, i, 0)
            g.add(unit, i, 1)
            k = ("appendix", key, "统计数")
            g.add(cells.get(k, ""), i, 2, key=k)
    return g
