"""`write_corpus`: a mixed directory of generated reports plus a few bad files, and
`expected.json` saying what the normalizer must make of each."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from .agencies import AGENCIES, docid_for, page_url
from .render_docx import render_docx
from .render_html import render_guide, render_html
from .render_pdf import render_pdf
from .render_text import render_text
from .spec import ReportSpec, expected_facts, format_for_year, identity_failures, make_spec

EXPECTED_NAME = "expected.json"


@dataclass(slots=True)
class Slot:
    fmt: str  # html, pdf, docx, txt, or a bad kind: empty, garbage_pdf, truncated_pdf, guide
    year: int | None = None
    version: str | None = None
    quirks: tuple[str, ...] | str = ()
    render: dict = field(default_factory=dict)
    other_rows: str | None = None
    break_identity: str | None = None
    note: str = ""


#: The standard mix: every format and format version, years 2014–2025, GBK pages with
#: and without a charset declaration, blanks/dashes/annotated cells, one failing
#: identity, one year/format mismatch, and four files that are not readable reports.
PLAN: tuple[Slot, ...] = (
    Slot("html", 2023, quirks="random", note="2021 format, TRS page"),
    Slot("pdf", 2024, quirks=("blank_zeros",), note="table 3 continues on the next page"),
    Slot("docx", 2022, other_rows="single", note="2021 format printing （六） as one row"),
    Slot("empty", note="zero-byte file"),
    Slot("txt", 2023, quirks=("annotated", "thousands"), note="seed-style text export"),
    Slot("html", 2020, quirks=("plus_sign", "dash"), render={"encoding": "gbk", "charset_label": "gb2312", "word_spans": True},
         note="2019 format; GBK declared as gb2312; Word-pasted spans"),
    Slot("html", 2021, version="2019", render={"encoding": "gbk", "declare_charset": False},
         note="a 2021 report printed in the 2019 format; GBK without any charset declaration"),
    Slot("garbage_pdf", note="random bytes named .pdf"),
    Slot("pdf", 2019, quirks=("slash",), note="2019 format"),
    Slot("html", 2016, note="pre2019, national appendix table"),
    Slot("pdf", 2014, note="pre2019, short provincial appendix"),
    Slot("truncated_pdf", note="a PDF cut off in the middle"),
    Slot("docx", 2018, note="pre2019"),
    Slot("html", 2025, quirks=("blank_total_column",), render={"merge_style": "flat"},
         note="总计 column blank except （七）总计; merged cells printed as empty cells"),
    Slot("html", 2022, quirks=("blank_zeros", "fullwidth"), render={"merge_style": "shifted"},
         note="自然人 header and values span two grid columns; full-width digits"),
    Slot("guide", note="a 政府信息公开指南 page: not a report"),
    Slot("txt", 2020, quirks=("slash", "dash", "plus_sign"), note="2019 format text"),
    Slot("docx", 2024, quirks=("yuan", "annotated"), note="fee printed in 元"),
    Slot("pdf", 2021, render={"split_table3_across_pages": False}, note="table 3 on one page"),
    Slot("html", 2017, render={"word_spans": True}, note="pre2019 with Word spans"),
    Slot("html", 2023, break_identity="t3.balance", note="table 3 does not balance"),
    Slot("txt", 2015, note="pre2019 text"),
    Slot("html", 2021, quirks=("enum_dunhao",), render={"word_spans": True}, note="sub-rows numbered 1、"),
    Slot("pdf", 2025, quirks=("dash", "slash", "thousands"), note="2021 format"),
)

EXT = {"html": "html", "pdf": "pdf", "docx": "docx", "txt": "txt", "empty": "pdf", "garbage_pdf": "pdf",
       "truncated_pdf": "pdf", "guide": "html"}


def render(spec: ReportSpec, fmt: str, **options) -> bytes:
    if fmt == "html":
        return render_html(spec, **options)
    if fmt == "pdf":
        return render_pdf(spec, **options)
    if fmt == "docx":
        return render_docx(spec)
    if fmt == "txt":
        return render_text(spec, **options)
    if fmt == "scan":  # an image-only PDF, as a scanner gives it
        from .render_scan import render_scan

        return render_scan(spec, **options)
    if fmt == "xlsx":
        from .render_xlsx import render_xlsx  # openpyxl only when asked for

        return render_xlsx(spec, **options)
    raise ValueError(fmt)


def _extra_slot(rng: random.Random) -> Slot:
    fmt = rng.choice(["html", "html", "pdf", "docx", "txt"])
    render_opts: dict = {}
    if fmt == "html":
        render_opts = {"word_spans": rng.random() < 0.3, "merge_style": rng.choice(["national", "national", "flat", "shifted"])}
        if rng.random() < 0.25:
            render_opts.update(encoding="gbk", declare_charset=rng.random() < 0.5)
    return Slot(fmt, rng.randint(2014, 2025), quirks="random", render=render_opts)


def _spec_summary(spec: ReportSpec) -> dict:
    return {
        "year": spec.year,
        "format_version": spec.format_version,
        "agency_name": spec.agency.name,
        "agency_kind": spec.agency.kind,
        "region": spec.agency.region,
        "title": spec.title,
        "publish_date": spec.publish_date.isoformat(),
        "source_url": spec.url,
        "t3_other_rows": spec.t3_other_rows if spec.format_version != "pre2019" else None,
        "quirks": list(spec.quirks),
        "sections": [s.key for s in spec.sections],
        "quotes": [{"text": q.text, "value": q.value, "keys": [list(k) for k in q.keys]} for q in spec.quotes],
        "broken_identity": spec.broken,
        "identity_failures": identity_failures(spec),
        "facts": [asdict(f) for f in expected_facts(spec)],
    }


def build_item(i: int, slot: Slot, seed: int) -> tuple[bytes, dict]:
    """Bytes and expected record of one corpus file."""
    s = seed * 1000 + i
    entry: dict = {"kind": "report", "note": slot.note, "render": dict(slot.render)}
    if slot.fmt in ("html", "pdf", "docx", "txt"):
        spec = make_spec(s, year=slot.year, format_version=slot.version, quirks=slot.quirks,
                         t3_other_rows=slot.other_rows, break_identity=slot.break_identity)
        data = render(spec, slot.fmt, **slot.render)
        status = "ok"
        accept = ["ok"] if not (slot.break_identity or slot.version) else ["ok", "partial"]
        if spec.format_version == "pre2019":
            accept = ["ok", "partial"]
        entry.update(source_format=slot.fmt, status=status, accept_status=accept,
                     issues=[slot.break_identity] if slot.break_identity else [], **_spec_summary(spec))
        if slot.version and slot.year and slot.version != format_for_year(slot.year):
            entry["format_mismatch"] = True
        return data, entry
    rng = random.Random(f"bad-{s}")
    entry.update(kind="bad", facts=[])
    if slot.fmt == "empty":
        entry.update(source_format="empty", status="failed", accept_status=["failed"])
        return b"", entry
    if slot.fmt == "garbage_pdf":
        entry.update(source_format="unknown", status="failed", accept_status=["failed"])
        return bytes(rng.getrandbits(8) for _ in range(4096 + rng.randint(0, 4096))), entry
    if slot.fmt == "truncated_pdf":
        spec = make_spec(s, year=2023)
        full = render_pdf(spec)
        entry.update(source_format="pdf", status="failed", accept_status=["failed", "partial", "needs_ocr"],
                     year=spec.year, agency_name=spec.agency.name)
        return full[: len(full) * 2 // 5], entry
    if slot.fmt == "guide":
        agency = rng.choice(AGENCIES)
        day = date(2023, 3, 1)
        url = page_url(agency, day, docid_for(day, rng))
        entry.update(source_format="html", status="not_a_report", accept_status=["not_a_report"],
                     agency_name=agency.name, source_url=url)
        return render_guide(agency, day, s, url), entry
    raise ValueError(slot.fmt)


def write_corpus(dir: Path, n: int = 24, seed: int = 0) -> list[Path]:
    """Write `n` files (the PLAN mix first, then random extra reports) into `dir`, plus
    `expected.json`; return the files' paths. Names are `NNN_<sha16>.<ext>`: they say
    nothing about the year, which the normalizer must read from the title and body."""
    dir = Path(dir)
    dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"corpus-{seed}")
    slots = list(PLAN[:n]) + [_extra_slot(rng) for _ in range(max(0, n - len(PLAN)))]
    paths, expected = [], {}
    for i, slot in enumerate(slots):
        data, entry = build_item(i, slot, seed)
        name = f"{i:03d}_{hashlib.sha256(data).hexdigest()[:16]}.{EXT[slot.fmt]}"
        path = dir / name
        path.write_bytes(data)
        entry["sha256"] = hashlib.sha256(data).hexdigest()
        entry["size"] = len(data)
        expected[name] = entry
        paths.append(path)
    doc = {
        "generator": "govreports.corpus",
        "seed": seed,
        "n": n,
        "notes": {
            "value_rules": "see govreports.corpus.spec.parse_cell / expected_facts",
            "appendix_keys": "pre2019 appendix facts: row_key is the printed label normalised as labels.toml "
                             "says (list numbering such as （一）, 1., 一、 stripped; whitespace and punctuation "
                             "removed; 其中 kept); col_key is the printed column header 统计数; unit is the "
                             "printed 单位 cell",
            "accept_status": "statuses a correct normalizer may give; status is the preferred one",
        },
        "files": expected,
    }
    (dir / EXPECTED_NAME).write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    return paths
