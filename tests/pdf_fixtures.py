"""Small PDFs built with reportlab for the PDF extractor's tests.

Chinese text uses reportlab's built-in CID font STSong-Light (no font file needed; PDFium maps
it to Unicode through the Adobe-GB1 CMap). Coordinates are PDF points, y up, A4 pages.
"""

from __future__ import annotations

import io
import random

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas as rl_canvas

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

W, H = A4

# The ruled fixture table: 4 columns, 5 rows.
#   row 0: 项目 (rowspan 2) | 申请人情况 (colspan 3)
#   row 1:                  | 自然人 | 商业/企业 (two lines) | 总计
#   row 2: 一、本年新收政府信息公开申请数量 (two lines) | 95 | 0 | 95
#   row 3: 二、上年结转 | — | (blank) | 3
#   row 4: （七）总计 | 1,234 | 0 | 1234
TABLE_XS = [60.0, 220.0, 300.0, 380.0, 460.0]
#: 36 + 10 characters, all full width (10.5 pt each): two lines of a 400 pt wide text block
PARAGRAPH = "本年度共受理政府信息公开申请九十五件，较上年增加三件，全部在法定期限内答复，" "未发生逾期答复。"
TABLE_YS = [700.0, 675.0, 640.0, 605.0, 580.0, 555.0]  # top to bottom


def _canvas(buf, **kw):
    c = rl_canvas.Canvas(buf, pagesize=A4, **kw)
    c.setFont(FONT, 10.5)
    return c


def _text(c, x, y, s, size=10.5):
    c.setFont(FONT, size)
    c.drawString(x, y, s)


def _ctext(c, x0, x1, y, s, size=10.5):
    """Text centred between x0 and x1."""
    c.setFont(FONT, size)
    c.drawCentredString((x0 + x1) / 2, y, s)


def _footer(c, s):
    _ctext(c, 0, W, 40, s, 10)


def _table_lines(xs, ys):
    """Segments of the fixture table: ((x0, y0, x1, y1), ...)."""
    x0, x1 = xs[0], xs[-1]
    segs = []
    for k, y in enumerate(ys):
        if k == 1:  # under 申请人情况 only: 项目 spans rows 0–1
            segs.append((xs[1], y, x1, y))
        else:
            segs.append((x0, y, x1, y))
    segs.append((x0, ys[0], x0, ys[-1]))
    segs.append((x1, ys[0], x1, ys[-1]))
    segs.append((xs[1], ys[0], xs[1], ys[-1]))
    for x in xs[2:-1]:  # not through row 0: 申请人情况 spans columns 1–3
        segs.append((x, ys[1], x, ys[-1]))
    return segs


def _draw_table_text(c, xs, ys):
    _ctext(c, xs[0], xs[1], 685, "项目")
    _ctext(c, xs[1], xs[4], 684, "申请人情况")
    _ctext(c, xs[1], xs[2], 654, "自然人")
    _ctext(c, xs[2], xs[3], 660, "商业")
    _ctext(c, xs[2], xs[3], 648, "企业")
    _ctext(c, xs[3], xs[4], 654, "总计")
    _text(c, xs[0] + 4, 626, "一、本年新收政府信息公开")
    _text(c, xs[0] + 4, 613, "申请数量")
    _ctext(c, xs[1], xs[2], 619, "95")
    _ctext(c, xs[2], xs[3], 619, "0")
    _ctext(c, xs[3], xs[4], 619, "95")
    _text(c, xs[0] + 4, 589, "二、上年结转")
    _ctext(c, xs[1], xs[2], 589, "—")
    _ctext(c, xs[3], xs[4], 589, "3")
    _text(c, xs[0] + 4, 564, "（七）总计")
    _ctext(c, xs[1], xs[2], 564, "1,234")
    _ctext(c, xs[2], xs[3], 564, "0")
    _ctext(c, xs[3], xs[4], 564, "1234")


def _draw_table(c, style: str) -> None:
    xs, ys = TABLE_XS, TABLE_YS
    c.setLineWidth(0.5)
    if style == "lines":  # stroked line segments, as most exporters write them
        for x0, y0, x1, y1 in _table_lines(xs, ys):
            c.line(x0, y0, x1, y1)
    elif style == "filled":  # borders as thin filled rectangles (Word, some WPS versions)
        for x0, y0, x1, y1 in _table_lines(xs, ys):
            if y0 == y1:
                c.rect(x0 - 0.25, y0 - 0.25, x1 - x0 + 0.5, 0.5, stroke=0, fill=1)
            else:
                c.rect(x0 - 0.25, y1 - 0.25, 0.5, y0 - y1 + 0.5, stroke=0, fill=1)
    elif style == "cellrects":  # each (merged) cell stroked as a rectangle, over a shaded background
        c.setFillGray(0.9)
        c.rect(xs[0], ys[-1], xs[-1] - xs[0], ys[0] - ys[-1], stroke=0, fill=1)
        c.setFillGray(0)
        boxes = [(0, 0, 2, 1), (0, 1, 1, 3)]  # (row, col, rowspan, colspan)
        boxes += [(1, col, 1, 1) for col in (1, 2, 3)]
        boxes += [(row, col, 1, 1) for row in (2, 3, 4) for col in range(4)]
        for r, col, rs, cs in boxes:
            x0, x1 = xs[col], xs[col + cs]
            y0, y1 = ys[r + rs], ys[r]
            c.rect(x0, y0, x1 - x0, y1 - y0, stroke=1, fill=0)
    elif style == "path":  # the whole grid as one stroked path of many sub-paths
        p = c.beginPath()
        for x0, y0, x1, y1 in _table_lines(xs, ys):
            p.moveTo(x0, y0)
            p.lineTo(x1, y1)
        c.drawPath(p, stroke=1, fill=0)
    elif style == "form":  # the grid inside a form XObject, placed with a translation
        c.beginForm("grid")
        for x0, y0, x1, y1 in _table_lines(xs, ys):
            c.line(x0 - 10, y0 - 20, x1 - 10, y1 - 20)
        c.endForm()
        c.saveState()
        c.translate(10, 20)
        c.doForm("grid")
        c.restoreState()
    else:
        raise ValueError(style)
    _draw_table_text(c, xs, ys)


def ruled_table_pdf(style: str = "lines", watermark: bool = False, stray: bool = False) -> bytes:
    """One page: a title, a heading, a paragraph wrapped over two lines, the ruled table, a
    closing paragraph and a `- 1 -` footer; optionally a big grey slanted watermark over all,
    or stray short lines touching the grid (an underline from the left border, a tick down
    from the top border)."""
    buf = io.BytesIO()
    c = _canvas(buf)
    if stray:
        c.setLineWidth(0.5)
        c.line(TABLE_XS[0], 610, TABLE_XS[0] + 70, 610)
        c.line(TABLE_XS[1] + 30, TABLE_YS[0], TABLE_XS[1] + 30, TABLE_YS[0] - 6)
    if watermark:
        c.saveState()
        c.setFillGray(0.85)
        c.translate(120, 420)
        c.rotate(35)
        _text(c, 0, 0, "政务公开专用水印 2024", 44)
        c.restoreState()
    _ctext(c, 0, W, 790, "某某区人民政府", 16)
    _ctext(c, 0, W, 768, "2024年政府信息公开工作年度报告", 16)
    _text(c, 60, 740, "一、总体情况")
    # a paragraph wrapped over two lines filling the text block (60–460 pt): first line
    # indented two characters, second line flush left
    _text(c, 81, 722, PARAGRAPH[:36])
    _text(c, 60, 706, PARAGRAPH[36:])
    # table heading sits above the table? keep it clear of the grid: the table starts at 700
    _draw_table(c, style)
    _text(c, 60, 530, "四、政府信息公开行政复议、行政诉讼情况")
    _text(c, 81, 512, "本年度无行政复议。")
    _footer(c, "- 1 -")
    c.showPage()
    c.save()
    return buf.getvalue()


def two_page_table_pdf() -> bytes:
    """A 3-column table that starts on page 1 and continues on page 2, footers `— 1 —` and
    `— 2 —`; a page-2 cell also holds a stray `— 2 —` line (a footer printed into the grid)."""
    buf = io.BytesIO()
    c = _canvas(buf)
    xs = [60.0, 300.0, 400.0, 500.0]
    _text(c, 60, 780, "三、收到和处理政府信息公开申请情况")

    def grid(top, nrows, rh=25.0):
        ys = [top - k * rh for k in range(nrows + 1)]
        for y in ys:
            c.line(xs[0], y, xs[-1], y)
        for x in xs:
            c.line(x, ys[0], x, ys[-1])
        return ys

    ys = grid(770, 4)
    rows1 = [("项目", "自然人", "总计"), ("（一）予以公开", "50", "50"), ("（二）部分公开", "9", "9"), ("（三）不予公开", "0", "0")]
    for k, row in enumerate(rows1):
        y = ys[k] - 16
        _text(c, xs[0] + 4, y, row[0])
        _ctext(c, xs[1], xs[2], y, row[1])
        _ctext(c, xs[2], xs[3], y, row[2])
    _footer(c, "— 1 —")
    c.showPage()
    c.setFont(FONT, 10.5)
    ys = grid(800, 3, 30.0)
    rows2 = [("（四）无法提供", "31", "31"), ("（七）总计", "95", "95"), ("四、结转下年度继续办理", "0", "0")]
    for k, row in enumerate(rows2):
        y = ys[k] - 18
        _text(c, xs[0] + 4, y, row[0])
        _ctext(c, xs[1], xs[2], y, row[1])
        _ctext(c, xs[2], xs[3], y, row[2])
    _ctext(c, xs[1], xs[2], ys[0] - 27, "— 2 —", 7)  # a footer printed into a cell
    _text(c, 60, 680, "五、存在的主要问题及改进情况")
    _footer(c, "— 2 —")
    c.showPage()
    c.save()
    return buf.getvalue()


def footer_in_cell_pdf() -> bytes:
    """A table running down into the footer zone: the page number `1/2` is printed inside the
    last row's cells, under their values; a one-line cell there holds a real `3`."""
    buf = io.BytesIO()
    c = _canvas(buf)
    xs = [60.0, 300.0, 400.0, 500.0]
    ys = [140.0, 110.0, 20.0]
    for y in ys:
        c.line(xs[0], y, xs[-1], y)
    for x in xs:
        c.line(x, ys[0], x, ys[-1])
    _text(c, 64, 122, "（六）其他处理")
    _ctext(c, xs[1], xs[2], 122, "5")
    _ctext(c, xs[2], xs[3], 122, "5")
    _text(c, 64, 90, "（七）总计")
    _ctext(c, xs[1], xs[2], 90, "7")
    _ctext(c, xs[1], xs[2], 30, "1/2", 9)
    _ctext(c, xs[2], xs[3], 30, "3")
    c.showPage()
    _text(c, 60, 780, "四、结转下年度继续办理")
    c.showPage()
    c.save()
    return buf.getvalue()


def stream_table_pdf() -> bytes:
    """A table printed without ruling lines: columns at wide gaps."""
    buf = io.BytesIO()
    c = _canvas(buf)
    _text(c, 60, 780, "二、主动公开政府信息情况")
    cols = [60, 220, 330, 440]
    rows = [("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"), ("规章", "0", "0", "0"), ("行政规范性文件", "3", "0", "8")]
    for k, row in enumerate(rows):
        for x, s in zip(cols, row):
            _text(c, x, 750 - 20 * k, s)
    _text(c, 60, 680, "三、收到和处理政府信息公开申请情况")
    _footer(c, "第 1 页")
    c.showPage()
    c.save()
    return buf.getvalue()


def _vera() -> str:
    from reportlab.pdfbase.ttfonts import TTFont

    if "Vera" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("Vera", "Vera.ttf"))
    return "Vera"


ROTATED_ROWS = {
    "latin": [("Item", "Natural", "Other", "Total"), ("Granted in full", "50", "1", "51")],
    "cjk": [("项目", "自然人", "其他", "总计"), ("（一）予以公开", "50", "1", "51")],
}
ROTATED_HEADING = {"latin": "Section 3: applications received", "cjk": "三、收到和处理政府信息公开申请情况"}


def stream_rows_pdf() -> bytes:
    """Tables without any ruling: rows typed with single spaces between the values, and a
    table whose columns stand at fixed positions, with a blank cell, a unit and a header
    line without a first-column heading."""
    buf = io.BytesIO()
    c = _canvas(buf)
    _text(c, 60, 780, "三、收到和处理政府信息公开申请情况")
    _text(c, 60, 760, "一、本年新收政府信息公开申请数量 95 0 0 0 0 0 95")
    _text(c, 60, 742, "二、上年结转政府信息公开申请数量 3 0 0 0 0 0 3")
    _text(c, 81, 715, "本年度收取信息处理费 0 元。")
    cols = [250, 330, 410]
    for x, head in zip(cols, ("自然人", "法人", "总计")):
        _ctext(c, x - 30, x + 30, 690, head)
    for k, row in enumerate([("（一）予以公开", "50", "", "50"), ("（二）部分公开", "9", "1", "10"), ("收费金额", "1.5万元", "0", "1.5万元")]):
        _text(c, 60, 670 - 20 * k, row[0])
        for x, v in zip(cols, row[1:]):
            if v:
                _ctext(c, x - 30, x + 30, 670 - 20 * k, v)
    _text(c, 60, 590, "四、政府信息公开行政复议、行政诉讼情况")
    c.showPage()
    c.save()
    return buf.getvalue()


def rotated_table_pdf(script: str = "latin", rotate_flag: bool = True) -> bytes:
    """A landscape table on a portrait page, content drawn turned a quarter counter-clockwise:
    with `rotate_flag` the page says /Rotate 90 (it displays upright, as exporters do it),
    without it the page displays sideways (content rotated, no /Rotate, as some do it).

    `latin` text is in reportlab's bundled Vera TTF (embedded), which PDFium reads; `cjk`
    text is STSong-Light, whose turned runs PDFium drops (the pdfminer fallback reads them)."""
    font = _vera() if script == "latin" else FONT
    buf = io.BytesIO()
    c = _canvas(buf)
    if rotate_flag:
        c.setPageRotation(90)
    c.saveState()
    # user space → displayed upright with /Rotate 90: display (X, Y_up) = (y, W - x)
    c.translate(W, 0)
    c.rotate(90)
    c.setFont(font, 10.5)
    c.drawString(60, 540, ROTATED_HEADING[script])
    xs = [60.0, 300.0, 400.0, 500.0, 600.0]
    ys = [520.0, 495.0, 470.0]
    for y in ys:
        c.line(xs[0], y, xs[-1], y)
    for x in xs:
        c.line(x, ys[0], x, ys[-1])
    for k, row in enumerate(ROTATED_ROWS[script]):
        y = ys[k] - 16
        c.drawString(xs[0] + 4, y, row[0])
        for j in (1, 2, 3):
            c.drawCentredString((xs[j] + xs[j + 1]) / 2, y, row[j])
    c.restoreState()
    c.showPage()
    c.save()
    return buf.getvalue()


def sideways_label_pdf(script: str = "latin") -> bytes:
    """A table whose merged first column holds a label turned a quarter counter-clockwise
    (read bottom to top), as narrow row-group columns sometimes are."""
    font = _vera() if script == "latin" else FONT
    label = "Results" if script == "latin" else "办理结果"
    buf = io.BytesIO()
    c = _canvas(buf)
    xs = [60.0, 90.0, 300.0, 400.0]
    ys = [740.0, 715.0, 690.0, 665.0]
    for k, y in enumerate(ys):
        c.line(xs[0] if k in (0, len(ys) - 1) else xs[1], y, xs[-1], y)
    for x in xs:
        c.line(x, ys[0], x, ys[-1])
    c.saveState()
    c.translate(79, 672)
    c.rotate(90)
    c.setFont(font, 10.5)
    c.drawString(0, 0, label)
    c.restoreState()
    for k, (name, value) in enumerate([("予以公开", "50"), ("部分公开", "9"), ("不予公开", "0")]):
        _text(c, xs[1] + 4, 724 - 25 * k, name)
        _ctext(c, xs[2], xs[3], 724 - 25 * k, value)
    c.showPage()
    c.save()
    return buf.getvalue()


def single_char_runs_pdf() -> bytes:
    """Text PDFium drops on a machine without CJK fonts: single-character runs of the
    non-embedded STSong-Light (a label stacked one character a line, one-character cells, a
    title's last character wrapped onto its own line)."""
    buf = io.BytesIO()
    c = _canvas(buf)
    _ctext(c, 0, W, 790, "某某县人民政府2024年政府信息公开工作年度报", 16)
    _ctext(c, 0, W, 768, "告", 16)
    xs = [60.0, 100.0, 300.0, 400.0]
    ys = [740.0, 715.0, 690.0, 665.0, 640.0]
    for k, y in enumerate(ys):
        c.line(xs[0] if k in (0, len(ys) - 1) else xs[1], y, xs[-1], y)
    for x in xs:
        c.line(x, ys[0], x, ys[-1])
    for k, ch in enumerate("办理结果"):  # stacked in the merged first column
        _ctext(c, xs[0], xs[1], 726 - 25 * k, ch)
    for k, (label, value) in enumerate([("予以公开", "无"), ("部分公开", "是"), ("不予公开", "0"), ("其他处理", "否")]):
        _text(c, xs[1] + 4, 724 - 25 * k, label)
        _ctext(c, xs[2], xs[3], 724 - 25 * k, value)
    _footer(c, "- 1 -")
    c.showPage()
    c.save()
    return buf.getvalue()


def framed_layout_pdf() -> bytes:
    """Text laid out in a one-column frame (a layout table: an outer box and a rule under each
    row), then a table ruled only across (a box and horizontal rules, no column lines) whose
    columns stand at wide gaps."""
    buf = io.BytesIO()
    c = _canvas(buf)
    ys = [780.0, 755.0, 730.0]
    for y in ys:
        c.line(60, y, 460, y)
    c.line(60, ys[0], 60, ys[-1])
    c.line(460, ys[0], 460, ys[-1])
    _text(c, 64, 764, "一、总体情况")
    _text(c, 85, 739, "本年度政府信息公开工作有序开展。")
    _text(c, 60, 700, "二、主动公开政府信息情况")
    rows = [("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"), ("规章", "0", "0", "0"), ("行政规范性文件", "3", "0", "8")]
    ys = [690.0, 665.0, 640.0, 615.0]
    for y in ys:
        c.line(60, y, 460, y)
    c.line(60, ys[0], 60, ys[-1])
    c.line(460, ys[0], 460, ys[-1])
    for k, row in enumerate(rows):
        for x, cell in zip((64, 190, 290, 380), row):
            _text(c, x, ys[k] - 16, cell)
    _text(c, 60, 590, "三、收到和处理政府信息公开申请情况")
    c.showPage()
    c.save()
    return buf.getvalue()


def encrypted_pdf(user_password: str = "secret") -> bytes:
    """Encrypted with reportlab's standard security handler; an empty user password gives a
    file anyone can open (owner password only)."""
    from reportlab.lib.pdfencrypt import StandardEncryption

    enc = StandardEncryption(user_password, ownerPassword="owner-pw", canPrint=1, canCopy=0)
    buf = io.BytesIO()
    c = _canvas(buf, encrypt=enc)
    _text(c, 60, 780, "一、总体情况")
    _text(c, 60, 760, "本年度共受理申请95件。")
    c.showPage()
    c.save()
    return buf.getvalue()


def image_only_pdf() -> bytes:
    """Two pages with no text at all: a grey box, ruling lines and an image (a scan, say)."""
    buf = io.BytesIO()
    c = rl_canvas.Canvas(buf, pagesize=A4)
    c.setFillGray(0.5)
    c.rect(100, 400, 300, 200, stroke=1, fill=1)
    c.line(100, 300, 400, 300)
    c.line(100, 300, 100, 200)
    try:
        from PIL import Image

        img = Image.new("L", (64, 64), 200)
        c.drawInlineImage(img, 100, 100, 64, 64)
    except ImportError:  # pillow is optional here: the boxes alone are enough
        pass
    c.showPage()
    c.rect(50, 50, 100, 100, stroke=1, fill=0)
    c.showPage()
    c.save()
    return buf.getvalue()


def many_pages_pdf(n: int) -> bytes:
    buf = io.BytesIO()
    c = _canvas(buf)
    for k in range(n):
        _text(c, 60, 600, f"第{k + 1}段正文。")
        c.showPage()
    c.save()
    return buf.getvalue()


RUNNING_BODY = [
    ["一、总体情况", "本年度政府信息公开工作有序开展。"],
    ["二、主动公开政府信息情况", "全年主动公开政府信息二千余条。"],
    ["三、收到和处理政府信息公开申请情况", "本年度共受理申请九十五件。"],
]


def running_header_pdf() -> bytes:
    """Three pages with a running header, a running footer and page numbers `第 N 页 共 3 页`."""
    buf = io.BytesIO()
    c = _canvas(buf)
    for k, body in enumerate(RUNNING_BODY):
        _ctext(c, 0, W, 805, "某某区人民政府2024年政府信息公开工作年度报告", 9)
        for j, line in enumerate(body):
            _text(c, 60 if j == 0 else 81, 700 - 20 * j, line)
        _ctext(c, 0, W, 52, "某某区人民政府办公室 编印", 9)
        _ctext(c, 0, W, 36, f"第 {k + 1} 页 共 3 页", 9)
        c.showPage()
    c.save()
    return buf.getvalue()


def random_bytes(n: int = 4096, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(n)
