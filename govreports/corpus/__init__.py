"""Generated annual reports (政府信息公开工作年度报告) in our own words.

The project does not copy real reports into its tree; it generates realistic ones:
numbers that satisfy the national format's identities, paragraphs from varied
templates that quote those numbers, and renderers that print the same report as a TRS
CMS page (HTML, UTF-8 or GBK), a Word document, a text export or a PDF, with the
merged cells, blanks, dashes and annotated values real reports have.

    spec = make_spec(7)                      # deterministic
    render_pdf(spec); render_html(spec, encoding="gbk", declare_charset=False)
    expected_facts(spec)                     # what the normalizer must produce
    write_corpus(Path("corpus"), n=24)       # a mixed directory + expected.json
"""

from .agencies import AGENCIES, Agency
from .prose import Quote, Section
from .render_docx import render_docx
from .render_html import MERGE_STYLES, render_guide, render_html
from .render_pdf import render_pdf
from .render_text import render_text
from .render_xlsx import render_xlsx
from .spec import (FORMATS, IDENTITIES, QUIRKS, ReportSpec, cell_keys, expected_facts, format_for_year,
                   identity_failures, make_spec, parse_cell)
from .write import EXPECTED_NAME, PLAN, render, write_corpus

__all__ = [
    "AGENCIES", "Agency", "EXPECTED_NAME", "FORMATS", "IDENTITIES", "MERGE_STYLES", "PLAN", "QUIRKS",
    "Quote", "ReportSpec", "Section", "cell_keys", "expected_facts", "format_for_year", "identity_failures",
    "make_spec", "parse_cell", "render", "render_docx", "render_guide", "render_html", "render_pdf",
    "render_text", "render_xlsx", "write_corpus",
]
