"""Property-based tests (hypothesis) of cell value parsing and of table mapping.

Values: any number printed the ways reports print numbers (thousands separators,
full-width digits, spaces, a plus sign, a note, a unit) parses to that number with the
right flag; blanks, slashes and dashes are null with their own flag, never 0; no text
makes `parse` raise.

Tables: tables 2, 3 and 4 built from a random fact set, printed with any of the label
spec's wording variants (labels.toml) for every row and column, random numbering styles,
random merges of header and label cells, random widths of the number columns, random
blank/dash/slash/annotated cells and a random page split, map back to exactly those facts.
Rows stay in the national format's order: the mapper aligns rows to the spec in order
(so that a typo or an ambiguous `3.其他` lands where its neighbours say), and the format
fixes that order; a shuffled table 3 is not a report of the national format.
"""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normalize import values
from normalize.labels import raw_spec
from normalize.model import Cell, Document, Paragraph, Table
from normalize.tables import map_document

FAST = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TABLES = settings(max_examples=100, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ---------------------------------------------------------------- printing numbers

_FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in "0123456789+-.,"}
SPACES = st.text(alphabet=" \t\u3000\u00a0\n", max_size=3)


def _group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return sep.join(parts)


@st.composite
def printed_numbers(draw, allow_negative: bool = True):
    """(printed text, its value): an integer or a decimal the way a report may print it."""
    magnitude = draw(st.integers(min_value=0, max_value=10**12))
    decimals = draw(st.sampled_from(["", "", "", "5", "25", "05", "125", "0"]))
    sign = draw(st.sampled_from(["", "", "+", "-"] if allow_negative else ["", "", "+"]))
    digits = str(magnitude)
    if len(digits) > 3 and draw(st.booleans()):
        digits = _group(digits, draw(st.sampled_from([",", "，"])))
    text = sign + digits + ("." + decimals if decimals else "")
    if draw(st.booleans()):
        text = "".join(_FULLWIDTH.get(c, c) for c in text)
    value = float(Decimal(str(magnitude) + ("." + decimals if decimals else "")))
    return draw(SPACES) + text + draw(SPACES), (-value if sign == "-" else value)


NOTE_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12)


@given(printed_numbers())
@FAST
def test_a_printed_number_parses_to_itself_unflagged(printed):
    text, value = printed
    parsed = values.parse(text)
    assert (parsed.value, parsed.flag, parsed.unit) == (value, None, None), text
    assert values.is_number(text) and values.is_value_like(text)


@given(printed_numbers(allow_negative=False), st.sampled_from(["（", "(", "【", "["]), NOTE_TEXT,
       st.sampled_from(["", "件", "个"]), SPACES)
@FAST
def test_a_number_with_a_note_is_the_number_flagged_annotated(printed, bracket, note, unit, space):
    text, value = printed
    raw = f"{text}{unit}{space}{bracket}其中{note}"
    parsed = values.parse(raw)
    assert (parsed.value, parsed.flag) == (value, "annotated"), raw


@given(printed_numbers(allow_negative=False), st.sampled_from(["元", "万元", "件", "人次", "个", "项"]), SPACES)
@FAST
def test_a_number_with_its_unit_keeps_value_and_unit(printed, unit, space):
    text, value = printed
    parsed = values.parse(text.rstrip() + space + unit)
    assert (parsed.value, parsed.flag, parsed.unit) == (value, "unit", unit)


@given(printed_numbers(allow_negative=False), st.sampled_from(["-", "－", "−", "﹣"]))
@FAST
def test_a_negative_number_parses_whatever_minus_sign_it_prints(printed, minus):
    # the 2019 table 2's 本年增/减 column prints decreases; PDF text layers and Word give
    # U+2212 MINUS SIGN as often as the ASCII hyphen-minus
    text, value = printed
    raw = text.lstrip(" \t\u3000\u00a0\n").lstrip("+＋")
    parsed = values.parse(minus + raw)
    assert (parsed.value, parsed.flag) == (-value, None), minus + raw


@given(st.text(alphabet="0123456789", min_size=300, max_size=400), st.sampled_from(["", ".5", "元", "（其中1件）"]))
@settings(max_examples=20, deadline=None, derandomize=True)
def test_digits_too_many_for_a_float_are_text_not_infinity(digits, suffix):
    parsed = values.parse(digits + suffix)
    assert parsed.value is None or math.isfinite(parsed.value)


PLACEHOLDERS = {
    "blank": st.just(""),
    "slash": st.sampled_from(["/", "／", "\\", "∕"]),
    "dash": st.sampled_from(["-", "--", "—", "——", "–", "－", "―", "−", "一一", "~", "～", "---"]),
    "na": st.sampled_from(["无", "N/A", "n/a", "暂无", "×"]),
}


@given(st.sampled_from(sorted(PLACEHOLDERS)).flatmap(lambda flag: st.tuples(st.just(flag), PLACEHOLDERS[flag])),
       SPACES, SPACES)
@FAST
def test_placeholders_are_null_with_their_flag_never_zero(placeholder, before, after):
    flag, text = placeholder
    parsed = values.parse(before + text + after)
    assert parsed.value is None and parsed.flag == flag
    assert not values.is_number(before + text + after)


@given(st.one_of(st.none(), st.text(), st.text(alphabet="0123456789０１２３，,.．+-－—/（）()元万件其中 \u3000")))
@settings(max_examples=400, deadline=None, derandomize=True)
def test_any_text_parses_without_raising_and_nothing_becomes_an_invented_number(raw):
    parsed = values.parse(raw)
    assert parsed.flag is None or parsed.flag in values.FLAGS
    assert parsed.value is None or (isinstance(parsed.value, float) and math.isfinite(parsed.value))
    if parsed.value is not None:
        assert any(ch.isdigit() for ch in raw), raw  # a number only where digits are printed
    if parsed.flag in ("blank", "slash", "dash", "na", "text"):
        assert parsed.value is None


# ---------------------------------------------------------------- table facts and how they print


@st.composite
def printed_cells(draw, empty: str = "some"):
    """(printed text, value, flag, unit) of one data cell; `empty`: how many cells print no number
    ("some"; "most"; "all": an agency with nothing to report may print a whole table of blanks or dashes)."""
    if empty == "all" or (empty == "most" and draw(st.integers(0, 9)) > 0):
        kind = draw(st.sampled_from(["blank", "dash", "slash"]))
    else:
        kind = draw(st.sampled_from(["plain"] * 6 + ["blank", "blank", "dash", "slash", "annotated", "fullwidth", "unit"]))
    n = draw(st.integers(min_value=0, max_value=20000))
    if kind == "plain":
        return str(n), float(n), None, None
    if kind == "fullwidth":
        text = _group(str(n), "，") if n >= 1000 else str(n)
        return "".join(_FULLWIDTH.get(c, c) for c in text), float(n), None, None
    if kind == "blank":
        return draw(st.sampled_from(["", " ", "\u3000"])), None, "blank", None
    if kind == "dash":
        return draw(st.sampled_from(["—", "-", "--", "——"])), None, "dash", None
    if kind == "slash":
        return draw(st.sampled_from(["/", "／"])), None, "slash", None
    if kind == "annotated":
        return f"{n}（其中{draw(st.integers(0, n))}件已办结）", float(n), "annotated", None
    return f"{n}件", float(n), "unit", "件"


def _variants(entry: dict) -> list[str]:
    return list(entry.get("labels", [])) + list(entry.get("aliases", []))


SPEC = raw_spec()
T3_ROWS = {r["key"]: r for r in SPEC["t3"]["rows"]}
T3_COLS = [c["key"] for c in SPEC["t3"]["columns"]]
T3_COL_LABEL = {c["key"]: c["labels"][0] for c in SPEC["t3"]["columns"]}

# (row key, group) in the national format's order; group None = a row of its own (一、二、四、),
# "" = an outcome row outside any sub-group, else the printed group label
_GROUPS = {"withheld": "不予公开", "unavailable": "无法提供", "not_processed": "不予处理", "other": "其他处理"}
T3_ORDER_2021 = (
    [("new_received", None, "一"), ("carried_over", None, "二"), ("granted", "", "（一）"), ("partially_granted", "", "（二）")]
    + [(k, "withheld", None) for k in ("withheld_state_secret", "withheld_prohibited_by_law",
                                        "withheld_security_stability", "withheld_third_party_rights",
                                        "withheld_internal_affairs", "withheld_process_information",
                                        "withheld_law_enforcement_files", "withheld_administrative_query")]
    + [(k, "unavailable", None) for k in ("unavailable_not_held", "unavailable_needs_creation",
                                           "unavailable_unclear_after_correction")]
    + [(k, "not_processed", None) for k in ("not_processed_petition", "not_processed_duplicate",
                                             "not_processed_publication", "not_processed_excessive",
                                             "not_processed_confirmation")]
    + [(k, "other", None) for k in ("other_overdue_correction", "other_unpaid_fee", "other_other")]
    + [("total_processed", "", "（七）"), ("carried_forward", None, "四")]
)
T3_ORDER_2019 = [r for r in T3_ORDER_2021 if r[1] != "other"]
T3_ORDER_2019.insert(-2, ("other_handling", "", "（六）"))
_GROUP_NUMBER = {"withheld": "（三）", "unavailable": "（四）", "not_processed": "（五）", "other": "（六）"}
_SUB_NUMBER = ["{n}.", "{n}、", "{n}．", "（{n}）", "{n}. ", ""]


@st.composite
def t3_tables(draw):
    """(tables, expected facts {(row, col): (value, flag, unit, raw)}) of a random table 3."""
    order = draw(st.sampled_from([T3_ORDER_2021, T3_ORDER_2019]))
    sub_style = draw(st.sampled_from(_SUB_NUMBER))
    top_numbered = draw(st.booleans())
    group_style = draw(st.sampled_from(["merged", "repeated", "first"]))  # how a group label is drawn
    outcomes_col = draw(st.booleans())  # print 三、本年度办理结果 in a label column of its own
    header_style = draw(st.sampled_from(["three_rows", "two_rows", "one_row"]))
    widths = [draw(st.sampled_from([1, 1, 1, 2])) for _ in T3_COLS]
    split_data = [draw(st.booleans()) for _ in T3_COLS]  # a wide column: one merged data cell or two
    spaced = draw(st.booleans())  # labels with stray spaces (line breaks in the source)
    empty = draw(st.sampled_from(["some", "some", "some", "most", "all"]))

    def label(text: str) -> str:
        if spaced and len(text) > 2:
            cut = draw(st.integers(1, len(text) - 1))
            return text[:cut] + draw(st.sampled_from([" ", "\n", "\u3000"])) + text[cut:]
        return text

    L = 3 if outcomes_col else 2  # label columns
    starts = [L]
    for w in widths:
        starts.append(starts[-1] + w)
    cells: list[Cell] = []
    # header
    if header_style == "three_rows":
        h = 3
        cells.append(Cell("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 0, 0, 3, L))
        cells.append(Cell("申请人情况", 0, L, 1, starts[-1] - L))
        nat_span = draw(st.booleans())
        cells.append(Cell("自然人", 1, starts[0], 2 if nat_span else 1, widths[0]))
        if not nat_span:
            cells.append(Cell("", 2, starts[0], 1, widths[0]))
        cells.append(Cell("法人或其他组织", 1, starts[1], 1, starts[6] - starts[1]))
        cells.append(Cell(label("总计"), 1, starts[6], 2, widths[6]))
        for i in range(1, 6):
            cells.append(Cell(label(T3_COL_LABEL[T3_COLS[i]]), 2, starts[i], 1, widths[i]))
    elif header_style == "two_rows":
        h = 2
        cells.append(Cell("", 0, 0, 2, L))
        cells.append(Cell("申请人情况", 0, L, 1, starts[-1] - L))
        for i, key in enumerate(T3_COLS):
            cells.append(Cell(label(T3_COL_LABEL[key]), 1, starts[i], 1, widths[i]))
    else:
        h = 1
        cells.append(Cell("", 0, 0, 1, L))
        for i, key in enumerate(T3_COLS):
            cells.append(Cell(label(T3_COL_LABEL[key]), 0, starts[i], 1, widths[i]))
    # rows
    expected = {}
    group_rows = {g: [i for i, r in enumerate(order) if r[1] == g] for g in _GROUPS}
    outcome_rows = [i for i, r in enumerate(order) if r[1] is not None]
    for i, (key, group, number) in enumerate(order):
        row = h + i
        words = draw(st.sampled_from(_variants(T3_ROWS[key])))
        if group in _GROUPS:
            n = group_rows[group].index(i) + 1
            leaf = sub_style.format(n=n) + words
        elif number and (top_numbered or number.startswith("（")):
            leaf = number + ("、" if len(number) == 1 else "") + words
        else:
            leaf = words
        leaf = label(leaf)
        # label cells: [outcomes col] [group col] [leaf col]
        if group is None:
            cells.append(Cell(leaf, row, 0, 1, L))
        else:
            if outcomes_col:
                first = i == outcome_rows[0]
                if group_style == "merged":
                    if first:
                        cells.append(Cell("三、本年度办理结果", row, 0, len(outcome_rows), 1))
                else:
                    cells.append(Cell("三、本年度办理结果" if first or group_style == "repeated" else "", row, 0, 1, 1))
            g0 = L - 2
            if group == "":
                cells.append(Cell(leaf, row, g0, 1, 2))
            else:
                glabel = _GROUP_NUMBER[group] + _GROUPS[group]
                first = group_rows[group][0] == i
                if group_style == "merged":
                    if first:
                        cells.append(Cell(glabel, row, g0, len(group_rows[group]), 1))
                else:
                    cells.append(Cell(glabel if first or group_style == "repeated" else "", row, g0, 1, 1))
                cells.append(Cell(leaf, row, L - 1, 1, 1))
        for c, col in enumerate(T3_COLS):
            text, value, flag, unit = draw(printed_cells(empty))
            if widths[c] == 1 or not split_data[c]:
                cells.append(Cell(text, row, starts[c], 1, widths[c]))
            else:
                at = draw(st.integers(0, 1))
                for k in range(2):
                    cells.append(Cell(text if k == at else "", row, starts[c] + k, 1, 1))
                if not text.strip():
                    text = ""  # two blank cells: the first is the slot's cell
            expected[(key, col)] = (value, flag, unit, text.strip())
    if any(r[1] == "other" for r in order):
        parts = ["other_overdue_correction", "other_unpaid_fee", "other_other"]
        for col in T3_COLS:
            got = [expected[(p, col)][0] for p in parts]
            expected[("other_handling", col)] = (sum(got) if None not in got else None, "derived", None, None)
    split = draw(st.one_of(st.none(), st.integers(2, len(order) - 2)))
    return _split_table(cells, h + split) if split is not None else [Table(cells)], expected


def _split_table(cells: list[Cell], cut: int) -> list[Table]:
    """A table broken over two pages at grid row `cut`: a cell spanning the break is drawn on both."""
    first = [Cell(c.text, c.row, c.col, min(c.rowspan, cut - c.row), c.colspan) for c in cells if c.row < cut]
    second = []
    for c in cells:
        if c.row + c.rowspan <= cut:
            continue
        start = max(c.row, cut)
        second.append(Cell(c.text if c.row >= cut else "", start - cut, c.col, c.row + c.rowspan - start, c.colspan))
    return [Table(first, page=1), Table(second, page=2)]


def _doc(*blocks) -> Document:
    return Document([Paragraph("某某区人民政府办公室2023年政府信息公开工作年度报告"), Paragraph("一、总体情况"),
                     Paragraph("本年度工作平稳推进。"), *blocks], "html")


def _got(mapped, table: str) -> dict:
    got = {}
    for f in mapped.facts:
        if f.table == table:
            assert (f.row_key, f.col_key) not in got, f"{f.row_key}/{f.col_key} mapped twice"
            got[(f.row_key, f.col_key)] = (f.value, f.value_flag, f.unit, f.value_raw)
    return got


@given(t3_tables())
@TABLES
def test_table_3_maps_back_to_its_facts_whatever_the_wording_merges_and_blanks(drawn):
    tables, expected = drawn
    doc = _doc(Paragraph("三、收到和处理政府信息公开申请情况"), tables[0], *([Paragraph("— 3 —"), tables[1]] if len(tables) > 1 else []),
               Paragraph("四、政府信息公开行政复议、行政诉讼情况"))
    mapped = map_document(doc)
    assert _got(mapped, "t3") == expected
    assert not [i for i in mapped.issues if i.code.startswith("t3.")]


# ---------------------------------------------------------------- table 4

T4_ROWS = {r["key"]: r for r in SPEC["t4"]["rows"]}
T4_COLS = [c for c in SPEC["t4"]["columns"]]


@st.composite
def t4_tables(draw):
    col_labels = [draw(st.sampled_from(_variants(c))) for c in T4_COLS]
    row_keys = ["review", "litigation_direct", "litigation_after_review"]
    empty = draw(st.sampled_from(["some", "some", "most", "all"]))
    numbers = {(r, c["key"]): draw(printed_cells(empty)) for r in row_keys for c in T4_COLS}
    expected = {k: (v, f, u, t.strip()) for k, (t, v, f, u) in numbers.items()}
    layout = draw(st.sampled_from(["one_row", "one_row", "transposed"]))
    cells: list[Cell] = []
    if layout == "one_row":
        review_span = draw(st.booleans())
        cells += [Cell("行政复议", 0, 0, 1, 5), Cell("行政诉讼", 0, 5, 1, 10),
                  Cell("未经复议直接起诉", 1, 5, 1, 5), Cell("复议后起诉", 1, 10, 1, 5)]
        for i, text in enumerate(col_labels):
            if review_span:
                cells.append(Cell(text, 1, i, 2, 1))
            else:
                cells += [Cell("", 1, i, 1, 1), Cell(text, 2, i, 1, 1)]
        cells += [Cell(t, 2, 5 + i, 1, 1) for i, t in enumerate(col_labels * 2)]
        data = [numbers[(r, c["key"])][0] for r in row_keys for c in T4_COLS]
        cells += [Cell(t, 3, i, 1, 1) for i, t in enumerate(data)]
    else:
        cells += [Cell("", 0, 0, 1, 2)] + [Cell(t, 0, 2 + i, 1, 1) for i, t in enumerate(col_labels)]
        merged = draw(st.booleans())
        cells.append(Cell("行政复议", 1, 0, 1, 2))
        if merged:
            cells.append(Cell("行政诉讼", 2, 0, 2, 1))
        else:
            cells += [Cell("行政诉讼", 2, 0, 1, 1), Cell("行政诉讼", 3, 0, 1, 1)]
        cells += [Cell("未经复议直接起诉", 2, 1, 1, 1), Cell("复议后起诉", 3, 1, 1, 1)]
        for r, key in enumerate(row_keys, start=1):
            cells += [Cell(numbers[(key, c["key"])][0], r, 2 + i, 1, 1) for i, c in enumerate(T4_COLS)]
    return Table(cells), expected


@given(t4_tables())
@TABLES
def test_table_4_maps_back_to_its_fifteen_facts(drawn):
    table, expected = drawn
    mapped = map_document(_doc(Paragraph("四、政府信息公开行政复议、行政诉讼情况"), table))
    assert _got(mapped, "t4") == expected
    assert not [i for i in mapped.issues if i.code.startswith("t4.")]


# ---------------------------------------------------------------- table 2

T2_ROWS = {r["key"]: r for r in SPEC["t2"]["rows"]}
T2_COLS = {c["key"]: c for c in SPEC["t2"]["columns"]}
# (section heading, column keys, row keys) of each version's table 2
T2_LAYOUT = {
    "2021": [("第二十条第（一）项", ["issued", "repealed", "in_force"], ["regulations", "normative_documents"]),
             ("第二十条第（五）项", ["decisions"], ["licensing"]),
             ("第二十条第（六）项", ["decisions"], ["punishment", "coercion"]),
             ("第二十条第（八）项", ["amount_10k_yuan"], ["fees"])],
    "2019": [("第二十条第（一）项", ["made", "published", "total_published"], ["regulations", "normative_documents"]),
             ("第二十条第（五）项", ["previous_count", "change", "decisions"], ["licensing", "other_services"]),
             ("第二十条第（六）项", ["previous_count", "change", "decisions"], ["punishment", "coercion"]),
             ("第二十条第（八）项", ["previous_count", "change"], ["fees"]),
             ("第二十条第（九）项", ["items", "amount"], ["procurement"])],
}


@st.composite
def t2_tables(draw):
    version = draw(st.sampled_from(sorted(T2_LAYOUT)))
    grid = draw(st.booleans())  # a real grid four columns wide, or rows of different widths
    empty = draw(st.sampled_from(["some", "some", "most", "all"]))
    headings = draw(st.booleans())
    rows: list[list[str]] = []
    expected = {}
    for heading, cols, keys in T2_LAYOUT[version]:
        if headings:
            rows.append([heading])
        rows.append(["信息内容"] + [draw(st.sampled_from(_variants(T2_COLS[c]))) for c in cols])
        for key in keys:
            if key == "normative_documents":
                name = draw(st.sampled_from(["行政规范性文件", "规范性文件"] if version == "2021" else ["规范性文件"]))
            else:
                name = T2_ROWS[key]["labels"][0]
            row = [name]
            for col in cols:
                text, value, flag, unit = draw(printed_cells(empty))
                row.append(text)
                column_unit = T2_COLS[col].get("unit")
                expected[(key, col)] = (value, flag, unit or (column_unit if value is not None else None), text.strip())
            rows.append(row)
    if grid:
        cells = []
        for r, row in enumerate(rows):
            if len(row) == 1:
                cells.append(Cell(row[0], r, 0, 1, 4))
                continue
            span = 4 - len(row) + 1  # the last column spans what is left
            cells += [Cell(t, r, c, 1, 1) for c, t in enumerate(row[:-1])]
            cells.append(Cell(row[-1], r, len(row) - 1, 1, span))
        return Table(cells), expected, version
    return Table.from_rows(rows), expected, version


@given(t2_tables())
@TABLES
def test_table_2_maps_back_to_its_facts_under_its_versions_keys(drawn):
    table, expected, version = drawn
    mapped = map_document(_doc(Paragraph("二、主动公开政府信息情况"), table))
    assert _got(mapped, "t2") == expected
    assert mapped.version_votes["t2"] == {version}
