"""Scans — image files and PDFs without a text layer — read with Tesseract.

How a page is read
1. The page image: an image file's frames (PNG, JPEG, TIFF, GIF, BMP, WebP; EXIF rotation
   applied, transparency laid on white), or each page of a PDF rendered with PDFium at
   `PDF_DPI`. Bounded: at most `MAX_PAGES` pages, `MAX_PIXELS` pixels a page — a larger image
   is refused from its header, before it is decoded, so a decompression bomb costs nothing —
   and `PAGE_TIMEOUT` / `TOTAL_TIMEOUT` seconds of Tesseract. A blank page is skipped; a page
   scanned askew (up to `MAX_SKEW`°) is turned level, the angle found by projection profile.
2. Ruling lines: runs of dark pixels at least `RULE_PT` long along the rows (and, on the image
   turned, along the columns) of the binarised page, found by a regular expression over the
   pixel bytes (C speed, no numpy). In points, they go to the PDF reader's lattice
   (`pdf.lattice`), so a ruled table becomes the same grid of cells with spans a text-layer
   PDF gives. The grid's lines are then painted out (Tesseract reads a rule as 1, l or |).
3. Cells are read apart: the ink of every cell is pasted on a white sheet (a mosaic), one cell
   a line or short cells side by side far apart, and the sheet is read — so a label wrapped
   over three lines beside numbers centred in their cells does not come out as interleaved
   lines — and each word is moved back to its cell. Short cells (numbers) are read twice and
   a lone digit a third time (`_read_cells` says why). The rest of the page, tables painted
   out, is read as it stands.
4. Tesseract (`--psm 6`, TSV output: words with boxes and confidences) runs as a subprocess in
   its own process group, killed at its timeout, with one OpenMP thread (its default threads
   made it 4–7× slower on a two-core machine). Each word becomes characters (its box split
   evenly) in the y-up point frame of the PDF reader, and the characters take a text-layer PDF
   page's road (`pdf.page._layout`): inside a grid they become its cells' text, outside it
   text lines; runs of "label  value  value" lines whose values line up become tables, columns
   placed by the x-centres of the values (a blank cell stays blank); lines join into
   paragraphs, larger leading lines into the title.
5. Table cells: a number read with a letter for a digit (O → 0, l → 1) or a speck for a comma
   is mended; a cell whose box holds ink but no word Tesseract read gets the text "\\ufffd",
   so no table passes as checked with a number missing.

The `Document` is marked `ocr=True`, and its warnings give the mean word confidence. Whether
its numbers are kept is the pipeline's decision: only when tables 3 and 4 were read whole and
verify (`checks.verify_ocr`); table 2, which has no check, never is.

Tesseract is a system package (Debian: tesseract-ocr, tesseract-ocr-chi-sim; `make
system-deps`). `GOVREPORTS_TESSERACT` may name the program; without one — or with
`GOVREPORTS_TESSERACT` naming no program — a scan gets status needs_ocr and a reason naming
the packages.
"""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import signal
import subprocess
import time
import warnings as warnings_module
from dataclasses import dataclass, field
from functools import lru_cache

from normalize.model import Cell, Document, ExtractionError, Table

log = logging.getLogger(__name__)

#: Tesseract's language data for text and for table cells. Simplified Chinese alone read a lone
#: "1" in a cell as 了 or 于; with English as well it read every number of the tests' scans, but
#: now and then a Chinese character of running text as a Latin letter (报告 → 报a)
LANGS_TEXT = "chi_sim"
LANGS_CELLS = "chi_sim+eng"
LANGS = "chi_sim+eng"  # what must be installed
#: page segmentation: one uniform block of text, read line by line across the page (table rows
#: stay rows; the automatic layout analysis cut tables into columns of separate blocks)
PSM = "6"
#: resolution PDF pages are rendered at
PDF_DPI = 300
#: at most this many pages (image frames, PDF pages) are read
MAX_PAGES = 30
#: a page (image frame, rendered PDF page) larger than this is refused, from its header
MAX_PIXELS = 40_000_000
#: seconds of Tesseract for one page, and for all pages of one file
PAGE_TIMEOUT = 180
TOTAL_TIMEOUT = 900
#: ruling lines are at least this long (points); a CJK stroke of body text is ~10 pt at most
RULE_PT = 12.0
#: a ruled grid smaller than this (width, height in points) is strokes of large characters
MIN_TABLE_PT = (72.0, 24.0)
#: a mosaic of table cells (see `_read_cells`) is at most this tall (pixels); more make more sheets
MAX_SHEET_PX = 12_000
#: a scan askew by up to this many degrees is turned level
MAX_SKEW = 4
#: images narrower than this (pixels) are enlarged 2× before OCR (Tesseract wants ~20 px glyphs)
MIN_WIDTH = 1400

INSTALL_HINT = ("install Tesseract with its Simplified Chinese data: apt-get install tesseract-ocr "
                "tesseract-ocr-chi-sim (or `make system-deps`)")


# ---------------------------------------------------------------------------- entry points


def extract(data: bytes) -> Document:
    """An image file (PNG, JPEG, TIFF, GIF, BMP, WebP), one page a frame."""
    data = bytes(data)
    images, warnings = _image_pages(data)  # an image that cannot be decoded fails, Tesseract or not
    return _read(images, _tesseract(), "image", warnings, n_pages=len(images))


def extract_pdf(data: bytes, reason: str) -> Document:
    """A PDF without a usable text layer (`reason`: what the text-layer reader found)."""
    data = bytes(data)
    try:
        exe = _tesseract()
    except ExtractionError as exc:
        raise ExtractionError(f"{reason}; {exc.reason}", status="needs_ocr") from None
    images, warnings, n_pages = _pdf_pages(data, reason)
    warnings.insert(0, f"no text layer ({reason}): read by OCR")
    return _read(images, exe, "pdf", warnings, n_pages=n_pages)


# ---------------------------------------------------------------------------- Tesseract


def _tesseract() -> str:
    """The Tesseract program, checked to have the language data; else ExtractionError(needs_ocr)."""
    name = os.environ.get("GOVREPORTS_TESSERACT", "tesseract")
    exe = shutil.which(name) if name else None
    if not exe:
        where = f" (GOVREPORTS_TESSERACT={name!r} names no program)" if name != "tesseract" else ""
        raise ExtractionError(f"a scan: OCR needs Tesseract, which is not installed{where}: {INSTALL_HINT}",
                              status="needs_ocr")
    langs = _languages(exe)
    missing = [lang for lang in LANGS.split("+") if lang not in langs]
    if missing:
        packages = " ".join("tesseract-ocr-" + lang.replace("_", "-") for lang in missing)
        raise ExtractionError(f"a scan: Tesseract has no language data for {', '.join(missing)}: "
                              f"apt-get install {packages} (or `make system-deps`)", status="needs_ocr")
    return exe


@lru_cache(maxsize=8)
def _languages(exe: str) -> frozenset[str]:
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=60,
                             env=_env(), start_new_session=True)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    lines = (out.stdout + "\n" + out.stderr).splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and " " not in line.strip())


@lru_cache(maxsize=8)
def _version(exe: str) -> str:
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60,
                             env=_env(), start_new_session=True)
    except (OSError, subprocess.SubprocessError):
        return "Tesseract"
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0] if first else "Tesseract"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_THREAD_LIMIT"] = "1"  # OpenMP threads made Tesseract 4–7× slower on 2 cores
    return env


def _run_tesseract(exe: str, image, dpi: int, timeout: float, langs: str) -> str:
    """TSV of one page image; raises subprocess.TimeoutExpired / OSError / RuntimeError."""
    buf = io.BytesIO()
    image.save(buf, format="PPM")  # PGM for mode L: no compression to spend time on
    cmd = [exe, "stdin", "stdout", "-l", langs, "--psm", PSM, "--dpi", str(dpi), "tsv"]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=_env(), start_new_session=True)
    try:
        out, err = proc.communicate(buf.getvalue(), timeout=timeout)
    except BaseException:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise
    if proc.returncode != 0:
        raise RuntimeError(f"tesseract exited with {proc.returncode}: {err.decode('utf-8', 'replace').strip()[-300:]}")
    return out.decode("utf-8", "replace")


# ---------------------------------------------------------------------------- page images


def _pil():
    from PIL import Image

    return Image


def _image_pages(data: bytes) -> tuple[list, list[str]]:
    """The frames of an image file as page images (mode L), bounded."""
    Image = _pil()
    from PIL import ImageOps

    warnings: list[str] = []
    try:
        with warnings_module.catch_warnings():  # every size is checked against MAX_PIXELS below
            warnings_module.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # Pillow's own guard, at twice its limit
        raise ExtractionError(f"image: refused (decompression bomb guard): {exc}") from None
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for broken files
        raise ExtractionError(f"image: cannot be read ({type(exc).__name__}: {exc})") from None
    n_frames = getattr(im, "n_frames", 1) or 1
    if n_frames > MAX_PAGES:
        warnings.append(f"{n_frames} image frames: only the first {MAX_PAGES} were read")
    pages = []
    for k in range(min(n_frames, MAX_PAGES)):
        try:
            if k:
                im.seek(k)
            w, h = im.size
            if w * h > MAX_PIXELS:
                if im.format == "JPEG":  # JPEG decodes at 1/2, 1/4, 1/8 scale for free
                    f = 2
                    while (w // f) * (h // f) > MAX_PIXELS and f < 8:
                        f *= 2
                    im.draft("L", (w // f, h // f))
                if im.size[0] * im.size[1] > MAX_PIXELS:
                    raise ExtractionError(
                        f"image: {w}×{h} pixels is over the limit of {MAX_PIXELS:,} (decompression bomb guard): refused")
            frame = im.copy() if n_frames > 1 else im
            frame.load()
            if k == 0:
                try:
                    frame = ImageOps.exif_transpose(frame)  # a photo taken with the phone turned
                except Exception:  # noqa: BLE001 - a damaged EXIF block: read the pixels as stored
                    pass
            pages.append(_grey(frame))
        except ExtractionError:
            raise
        except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds for broken files
            if not pages:
                raise ExtractionError(f"image: cannot be decoded ({type(exc).__name__}: {exc})") from None
            warnings.append(f"image frame {k + 1}: cannot be decoded ({type(exc).__name__}); the rest not read")
            break
    return pages, warnings


def _grey(im):
    """Mode L, transparency laid on white."""
    Image = _pil()
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        white.alpha_composite(im)
        im = white
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        im = im.point(lambda v: v / 256)
    return im.convert("L")


def _pdf_pages(data: bytes, reason: str) -> tuple[list, list[str], int]:
    """Each page of a PDF rendered at PDF_DPI (less for a page too large), bounded."""
    import pypdfium2

    warnings: list[str] = []
    try:
        pdf = pypdfium2.PdfDocument(data)
    except Exception as exc:  # noqa: BLE001 - pypdfium2 raises its own error types
        raise ExtractionError(f"{reason}; its pages could not be rendered for OCR ({exc})", status="needs_ocr") from None
    try:
        n = len(pdf)
        if n > MAX_PAGES:
            warnings.append(f"{n} pages: only the first {MAX_PAGES} were read by OCR")
        pages = []
        for k in range(min(n, MAX_PAGES)):
            try:
                page = pdf[k]
                w, h = page.get_size()
                scale = PDF_DPI / 72
                if w * h * scale * scale > MAX_PIXELS:
                    scale = (MAX_PIXELS / max(w * h, 1.0)) ** 0.5
                    warnings.append(f"page {k + 1}: {w:.0f}×{h:.0f} pt, rendered at {scale * 72:.0f} dpi")
                image = page.render(scale=scale, grayscale=True, fill_color=(255, 255, 255, 255)).to_pil()
                page.close()
                pages.append((image.convert("L"), round(scale * 72)))
            except Exception as exc:  # noqa: BLE001 - one bad page must not lose the others
                warnings.append(f"page {k + 1}: could not be rendered for OCR ({type(exc).__name__})")
    finally:
        pdf.close()
    if not pages:
        raise ExtractionError(f"{reason}; no page could be rendered for OCR", status="needs_ocr")
    return pages, warnings, n


# ---------------------------------------------------------------------------- reading pages


@dataclass(slots=True)
class _Stats:
    words: int = 0
    chars: int = 0
    conf_sum: float = 0.0  # confidence × characters
    page_conf: list[float] = field(default_factory=list)
    unread_cells: int = 0
    mended_cells: int = 0
    turned: list[tuple[int, float]] = field(default_factory=list)  # (page, degrees) of pages deskewed


def _read(images: list, exe: str, fmt: str, warnings: list[str], n_pages: int) -> Document:
    from .pdf.lines import _em
    from .pdf.paragraphs import _drop_running_lines, _paragraphs, _title

    stats = _Stats()
    pages: list[list] = []
    ems: list[float] = []
    started = time.monotonic()
    for k, entry in enumerate(images):
        image, dpi = entry if isinstance(entry, tuple) else (entry, None)
        left = TOTAL_TIMEOUT - (time.monotonic() - started)
        if left <= 0:
            warnings.append(f"OCR time limit ({TOTAL_TIMEOUT} s) reached: pages {k + 1}–{len(images)} not read")
            break
        try:
            items, chars = _read_page(image, dpi, k + 1, exe, min(PAGE_TIMEOUT, left), stats)
        except subprocess.TimeoutExpired:
            warnings.append(f"page {k + 1}: OCR stopped at its time limit")
            continue
        except (OSError, RuntimeError) as exc:
            warnings.append(f"page {k + 1}: OCR failed ({exc})")
            continue
        except Exception as exc:  # noqa: BLE001 - one page that breaks the reader must not lose the others
            log.exception("OCR of page %d failed", k + 1)
            warnings.append(f"page {k + 1}: could not be read ({type(exc).__name__}: {exc})")
            continue
        pages.append(items)
        if chars:
            ems.append(_em(chars))
    if stats.chars == 0:
        failures = [w for w in warnings if w.startswith(("page ", "OCR time limit"))]
        raise ExtractionError(f"a scan: OCR found no text in {len(images)} page image(s)"
                              + (f" ({'; '.join(failures)})" if failures else ""), status="needs_ocr")
    _drop_running_lines(pages)
    title = _title(pages, sorted(ems)[len(ems) // 2] if ems else None)
    blocks = _paragraphs(pages)
    mean = stats.conf_sum / stats.chars
    note = (f"OCR ({_version(exe)}, {LANGS}): {len(pages)} page(s), {stats.words} words, "
            f"mean word confidence {mean:.1f}%")
    if len(stats.page_conf) > 1:
        note += f" (lowest page {min(stats.page_conf):.1f}%)"
    warnings.append(note)
    if stats.turned:
        warnings.append("OCR: page(s) scanned askew, turned level: "
                        + ", ".join(f"{page} by {angle:+.2f}°" for page, angle in stats.turned))
    if stats.mended_cells:
        warnings.append(f"OCR: {stats.mended_cells} table cell(s) read with a letter for a digit (O→0, l→1), mended")
    if stats.unread_cells:
        warnings.append(f"OCR: {stats.unread_cells} table cell(s) hold ink OCR did not read (marked \ufffd)")
    return Document(blocks=blocks, source_format=fmt, pages=n_pages, title=title, warnings=warnings, ocr=True)


def _read_page(image, dpi: int | None, page_no: int, exe: str, timeout: float, stats: _Stats):
    """One page image → (items in reading order as `pdf.page._layout` gives them, the characters
    outside tables)."""
    Image = _pil()
    from .pdf.lattice import _find_grids
    from .pdf.page import _layout

    if dpi is None:  # an image file: its resolution is unknown; take the page to be A4 wide
        if image.width < MIN_WIDTH and image.width * image.height * 4 <= MAX_PIXELS:
            image = image.resize((image.width * 2, image.height * 2), Image.Resampling.LANCZOS)
        dpi = max(72, round(image.width / (8.27 if image.height >= image.width else 11.69)))
    scale = 72 / dpi  # pixels → points
    width, height = image.size
    page_h = height * scale

    bw = _binary(image)
    if bw.histogram()[0] < 0.0002 * width * height:
        return [], []  # a blank page
    angle = _skew(bw)
    if abs(angle) >= 0.05:  # a scan fed in askew: ruling lines must run along rows and columns
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
        bw = _binary(image)
        stats.turned.append((page_no, angle))
    min_len = max(8, round(RULE_PT / scale))
    h_runs, v_runs = _rule_runs(bw, min_len)
    grids = []
    if len(h_runs) + len(v_runs) <= 60_000:
        h_segs = [(page_h - y * scale, x0 * scale, x1 * scale) for y, x0, x1 in h_runs]
        v_segs = [(x * scale, page_h - y1 * scale, page_h - y0 * scale) for x, y0, y1 in v_runs]
        grids = [g for g in _find_grids(h_segs, v_segs)
                 if g.xs[-1] - g.xs[0] >= MIN_TABLE_PT[0] and g.ys[0] - g.ys[-1] >= MIN_TABLE_PT[1]]
    deadline = time.monotonic() + timeout
    words: list[tuple] = []
    slots: list[_Slot] = []
    text_page = image
    if grids:
        image, bw = _erase_rules(image, bw, grids, h_runs, v_runs, scale, page_h)
        slots = _cell_slots(bw, grids, scale, page_h)
        words += _read_cells(exe, image, slots, dpi, deadline)
        from PIL import ImageDraw

        text_page = image.copy()
        draw = ImageDraw.Draw(text_page)
        for g in grids:
            draw.rectangle(_px_box(g, 0, len(g.xs) - 1, 0, len(g.ys) - 1, scale, page_h), fill=255)
    if _binary(text_page).histogram()[0] >= 0.0002 * width * height:
        words += _words(_run_tesseract(exe, text_page, dpi, _left(deadline), LANGS_TEXT))
    chars: list = []
    confs: list[tuple[float, int]] = []
    _add_chars(chars, confs, words, scale, page_h)
    n_chars = sum(n for _, n in confs)
    stats.words += len(confs)
    stats.chars += n_chars
    stats.conf_sum += sum(c * n for c, n in confs)
    if n_chars:
        stats.page_conf.append(sum(c * n for c, n in confs) / n_chars)
    if grids and chars:
        stats.unread_cells += _mark_unread_cells(chars, grids, slots, scale)
    items = _layout(chars, grids, page_h, page_no) if chars else []
    items = [_mend(it, stats) if isinstance(it, Table) else it for it in items]
    # the text's font size is the paragraphs' (tables print smaller): characters outside the grids
    free = [c for c in chars if not any(g.contains((c.x0 + c.x1) / 2, (c.y0 + c.y1) / 2) for g in grids)]
    return items, free


def _px_box(g, c0: int, c1: int, r0: int, r1: int, scale: float, page_h: float) -> tuple[int, int, int, int]:
    """Pixel box (left, top, right, bottom) of grid `g` between column boundaries c0..c1 and row
    boundaries r0..r1."""
    return (round(g.xs[c0] / scale), round((page_h - g.ys[r0]) / scale),
            round(g.xs[c1] / scale), round((page_h - g.ys[r1]) / scale))


# ---------------------------------------------------------------------------- ruling lines


def _skew(bw) -> float:
    """The angle (degrees, counter-clockwise) that turns the page's lines level: the one whose
    rows of ink are most unevenly filled (projection profile), searched within ±MAX_SKEW on a
    reduced copy, to a twentieth of a degree."""
    Image = _pil()
    from PIL import ImageOps

    ink = ImageOps.invert(bw)
    f = max(1, ink.width // 600)
    small = ink.reduce(f) if f > 1 else ink

    def score(angle: float) -> float:
        turned = small.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=0) if angle else small
        rows = turned.resize((1, turned.height), Image.Resampling.BOX).tobytes()
        return sum(v * v for v in rows)

    best = max((k * 0.25 for k in range(-4 * MAX_SKEW, 4 * MAX_SKEW + 1)), key=lambda a: (score(a), -abs(a)))
    fine = max((best + k * 0.05 for k in range(-5, 6)), key=lambda a: (score(a), -abs(a)))
    return round(fine, 2)


def _binary(image):
    """Black (0) on white (255), at Otsu's threshold."""
    hist = image.histogram()
    total = sum(hist)
    sum_all = sum(i * h for i, h in enumerate(hist))
    best, threshold = -1.0, 127
    w0 = s0 = 0
    for t in range(255):
        w0 += hist[t]
        s0 += t * hist[t]
        w1 = total - w0
        if w0 == 0 or w1 == 0:
            continue
        m0, m1 = s0 / w0, (sum_all - s0) / w1
        between = w0 * w1 * (m0 - m1) ** 2
        if between > best:
            best, threshold = between, t
    threshold = min(max(threshold, 60), 200)
    return image.point([0 if v <= threshold else 255 for v in range(256)])


def _rule_runs(bw, min_len: int) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """Runs of dark pixels at least `min_len` long: horizontal (y, x0, x1) and vertical (x, y0, y1),
    in pixels. The image is thickened by a pixel first, so a rule broken by a pixel stays one."""
    Image = _pil()
    from PIL import ImageFilter, ImageOps

    thick = bw.filter(ImageFilter.MinFilter(3))
    pattern = re.compile(rb"\x00{%d,}" % min_len)

    def runs(img):
        padded = ImageOps.expand(img, border=(0, 0, 1, 0), fill=255)  # a white column ends every row
        w = padded.width
        data = padded.tobytes()
        out = []
        for m in pattern.finditer(data):
            y, x0 = divmod(m.start(), w)
            out.append((y, x0, x0 + (m.end() - m.start())))
        return out

    horizontal = runs(thick)
    vertical = runs(thick.transpose(Image.Transpose.TRANSPOSE))
    return horizontal, vertical


def _erase_rules(image, bw, grids, h_runs, v_runs, scale: float, page_h: float):
    """The page with the ruling lines of its grids painted white (what Tesseract reads), and its
    binary image likewise (for telling ink in a cell)."""
    from PIL import ImageDraw

    boxes = []
    tol = 4.0 / scale  # px
    for g in grids:
        x0, x1 = g.xs[0] / scale, g.xs[-1] / scale
        y0, y1 = (page_h - g.ys[0]) / scale, (page_h - g.ys[-1]) / scale
        boxes.append((x0 - tol, y0 - tol, x1 + tol, y1 + tol))

    def inside(x: float, y: float) -> bool:
        return any(a <= x <= c and b <= y <= d for a, b, c, d in boxes)

    image = image.copy()
    bw = bw.copy()
    draws = (ImageDraw.Draw(image), ImageDraw.Draw(bw))
    for y, x0, x1 in h_runs:
        if inside(x0, y) and inside(x1 - 1, y):
            for d in draws:
                d.line((x0, y, x1 - 1, y), fill=255)
    for x, y0, y1 in v_runs:
        if inside(x, y0) and inside(x, y1 - 1):
            for d in draws:
                d.line((x, y0, x, y1 - 1), fill=255)
    return image, bw


# ---------------------------------------------------------------------------- table cells


@dataclass(slots=True)
class _Slot:
    """A grid cell's ink: which grid and cell, its box on the page and its place in the mosaic (px)."""

    grid: int
    cell: int
    box: tuple[int, int, int, int]
    at: tuple[int, int] = (0, 0)

    @property
    def w(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def h(self) -> int:
        return self.box[3] - self.box[1]


def _cell_slots(bw, grids, scale: float, page_h: float) -> list[_Slot]:
    """The ink of every grid cell that holds some (specks left out), as a box on the page."""
    from PIL import ImageFilter, ImageOps

    slots = []
    for gi, g in enumerate(grids):
        for k, (r, c, rs, cs) in enumerate(g.spans):
            x0, y0, x1, y1 = _px_box(g, c, c + cs, r, r + rs, scale, page_h)
            inner = (x0 + 3, y0 + 3, x1 - 2, y1 - 2)
            if inner[2] - inner[0] < 4 or inner[3] - inner[1] < 4:
                continue
            ink = ImageOps.invert(bw.crop(inner).filter(ImageFilter.MedianFilter(3))).getbbox()
            if ink is None:
                continue
            pad = 2
            box = (max(inner[0], inner[0] + ink[0] - pad), max(inner[1], inner[1] + ink[1] - pad),
                   min(inner[2], inner[0] + ink[2] + pad), min(inner[3], inner[1] + ink[3] + pad))
            slots.append(_Slot(gi, k, box))
    return slots


def _read_cells(exe: str, image, slots: list[_Slot], dpi: int, deadline: float) -> list[tuple]:
    """The words of the grid cells, read off mosaics of their ink and moved back onto the page.

    Read in place, a row whose label wraps over three lines beside numbers centred in their
    cells comes out as interleaved lines; pasted apart on a white sheet, every cell is read as
    its own text. Cells of more than a short line (labels) get a sheet line each and Chinese
    alone. Short cells (numbers, 总计, 其他) share sheet lines, far apart, and are read twice:
    Chinese alone read a lone 1 as 了 or 于, Chinese with English read 不予 as RF; a short cell
    takes the Chinese-with-English reading when that is a number or a placeholder, else the
    Chinese one; a cell of one or two characters that neither reads as a number is read once
    more on a line of its own in English (a blurred lone 1 read 下 or 亚 both times)."""
    heights = sorted(s.h for s in slots)
    line = max(heights[len(heights) // 2], 8)
    short = [s for s in slots if s.h <= 1.6 * line and s.w <= 4 * s.h]
    tall = [s for s in slots if not (s.h <= 1.6 * line and s.w <= 4 * s.h)]
    words: list[tuple] = []
    if tall:
        for found in _read_sheets(exe, image, tall, line, False, dpi, deadline, [LANGS_TEXT])[0].values():
            words += found
    if short:
        plain, mixed = _read_sheets(exe, image, short, line, True, dpi, deadline, [LANGS_TEXT, LANGS_CELLS])
        unsure: list[int] = []
        for i, s in enumerate(short):
            a, b = plain.get(i, []), mixed.get(i, [])
            if b and _value_like("".join(w[5] for w in b)):
                words += b
            elif s.w <= 1.5 * s.h and not (a and _value_like("".join(w[5] for w in a))):
                unsure.append(i)  # one or two characters, neither reading a number: a lone digit?
            else:
                words += a or b
        if unsure:
            alone = _read_sheets(exe, image, [short[i] for i in unsure], line, False, dpi, deadline, ["eng"])[0]
            for k, i in enumerate(unsure):
                c = alone.get(k, [])
                words += c if c and _value_like("".join(w[5] for w in c)) else (plain.get(i) or mixed.get(i) or [])
    return words


def _read_sheets(exe: str, image, slots: list[_Slot], line: int, pack: bool, dpi: int, deadline: float,
                 langs: list[str]) -> list[dict[int, list[tuple]]]:
    """The slots read off mosaics (as many sheets as they fill) in each of `langs`: per language,
    the words of each slot (by index in `slots`), moved back onto the page."""
    out: list[dict[int, list[tuple]]] = [{} for _ in langs]
    start = 0
    while start < len(slots):
        sheet, n = _mosaic(image, slots[start:], line, pack)
        chunk = slots[start:start + n]
        for reading, lang in zip(out, langs):
            for i, found in _slot_words(_run_tesseract(exe, sheet, dpi, _left(deadline), lang), chunk).items():
                reading[start + i] = found
        start += n
    return out


def _left(deadline: float) -> float:
    """Seconds left before `deadline`; TimeoutExpired when none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise subprocess.TimeoutExpired("tesseract", 0)
    return left


def _value_like(text: str) -> bool:
    """A number, a number with a letter for a digit, or a placeholder (/, —, 无 …)."""
    from normalize import values

    text = text.replace(" ", "")
    return bool(_NUMBER_LIKE.match(text)) or values.parse(text).flag not in ("text", "blank")


def _mosaic(image, slots: list[_Slot], line: int, pack: bool):
    """The first slots' ink pasted on a white sheet, top to bottom: one a sheet line, or with
    `pack` side by side, three line heights apart (centred on their sheet line), until the sheet
    is about `MAX_SHEET_PX` tall. Sets each placed slot's `at`; returns the sheet and how many slots
    it holds."""
    Image = _pil()
    gap_x, gap_y, margin = 3 * line, line, line
    width = max(image.width, max(s.w for s in slots) + 2 * margin)
    rows: list[list[_Slot]] = []
    x, top = width, margin  # top: where the sheet line being filled starts
    for s in slots:
        if not pack or not rows or x + s.w + margin > width:
            if rows:
                top += max(r.h for r in rows[-1]) + gap_y
                if top + s.h > MAX_SHEET_PX:
                    break
            rows.append([])
            x = margin
        rows[-1].append(s)
        x += s.w + gap_x
    y = margin
    for row in rows:
        row_h = max(s.h for s in row)
        x = margin
        for s in row:
            s.at = (x, y + (row_h - s.h) // 2)
            x += s.w + gap_x
        y += row_h + gap_y
    sheet = Image.new("L", (width, y + margin), 255)
    placed = [s for row in rows for s in row]
    for s in placed:
        sheet.paste(image.crop(s.box), s.at)
    # black on white at Otsu's threshold: JPEG ringing around small digits (a scanner's PDF)
    # made Tesseract read 7 as 1 and 2 as 二; binarised, 7 of 8 such pages read right
    return _binary(sheet), len(placed)


def _slot_words(tsv: str, slots: list[_Slot]) -> dict[int, list[tuple]]:
    """A mosaic's words by slot (index in `slots`), moved back to where the slot's ink is on the page."""
    out: dict[int, list[tuple]] = {}
    for left, top, w, h, conf, text, bottom, key in _words(tsv):
        cx, cy = left + w / 2, top + h / 2
        i = next((i for i, s in enumerate(slots)
                  if s.at[0] <= cx <= s.at[0] + s.w and s.at[1] <= cy <= s.at[1] + s.h), None)
        if i is None:
            continue  # a speck between the cells
        s = slots[i]
        dx, dy = s.box[0] - s.at[0], s.box[1] - s.at[1]
        out.setdefault(i, []).append((left + dx, top + dy, w, h, conf, text,
                                      min(bottom, s.at[1] + s.h) + dy, (key, s.grid, s.cell)))
    return out


# ---------------------------------------------------------------------------- words → characters


def _words(tsv: str) -> list[tuple]:
    """Tesseract's TSV → words: (left, top, width, height, confidence, text, line bottom), px."""
    lines: dict[tuple[str, str, str, str], int] = {}
    words = []
    for row in tsv.splitlines()[1:]:
        f = row.split("\t")
        if len(f) < 12:
            continue
        key = (f[1], f[2], f[3], f[4])
        try:
            left, top, w, h = int(f[6]), int(f[7]), int(f[8]), int(f[9])
            conf = float(f[10])
        except ValueError:
            continue
        if f[0] == "4":
            lines[key] = top + h
        elif f[0] == "5":
            text = "\t".join(f[11:]).strip()
            if text and conf >= 0 and w > 0:
                words.append((key, left, top, w, h, conf, text))
    # Tesseract's word boxes now and then run over the next words (`存在` 364 px wide, across
    # `的主要`): the characters, placed by their boxes, would come out of order. A word ends
    # where the next one of its line starts.
    out = []
    for i, (key, left, top, w, h, conf, text) in enumerate(words):
        if i + 1 < len(words) and words[i + 1][0] == key:
            nxt = words[i + 1][1]
            if left < nxt < left + w:
                w = nxt - left
        out.append((left, top, w, h, conf, text, lines.get(key, top + h), key))
    return out


def _add_chars(chars: list, confs: list, words: list[tuple], scale: float, page_h: float) -> None:
    """Characters (`pdf.chars._Ch`, y-up points) of Tesseract's words (page pixels), each word's
    box split evenly. A word's baseline is its line's bottom, so the characters of a line stay
    one line."""
    from .pdf.chars import _Ch

    prev_key = None
    for left, top, w, h, conf, text, bottom, key in words:
        by = page_h - bottom * scale
        y0, y1 = page_h - (top + h) * scale, page_h - top * scale
        step = w / len(text)
        for k, c in enumerate(text):
            x0 = (left + k * step) * scale
            idx = len(chars)
            same_line = k > 0 or key == prev_key
            chars.append(_Ch(c, x0, x0 + step * scale, y0, y1, by, k == 0 and same_line,
                             idx - 1 if same_line else -1, idx, x0))
        confs.append((conf, len(text)))
        prev_key = key


def _cell_index(g, x: float, y: float) -> int:
    from bisect import bisect_right

    col = min(max(bisect_right(g.xs, x) - 1, 0), len(g.xs) - 2)
    row = min(max(bisect_right(g.neg_ys, -y) - 1, 0), len(g.ys) - 2)
    return g.owner[row][col]


def _mark_unread_cells(chars: list, grids, slots: list[_Slot], scale: float) -> int:
    """A "\ufffd" character in every grid cell that holds ink but no character OCR read."""
    from .pdf.chars import _Ch

    read: set[tuple[int, int]] = set()
    for ch in chars:
        cx, cy = (ch.x0 + ch.x1) / 2, (ch.y0 + ch.y1) / 2
        for gi, g in enumerate(grids):
            if g.contains(cx, cy):
                read.add((gi, _cell_index(g, cx, cy)))
                break
    marked = 0
    for s in slots:
        if (s.grid, s.cell) in read:
            continue
        g = grids[s.grid]
        r, c, rs, cs = g.spans[s.cell]
        cx, cy = (g.xs[c] + g.xs[c + cs]) / 2, (g.ys[r] + g.ys[r + rs]) / 2
        half = min(g.xs[c + cs] - g.xs[c], g.ys[r] - g.ys[r + rs]) / 4
        chars.append(_Ch("\ufffd", cx - half, cx + half, cy - half, cy + half, cy - half, False, -1, len(chars), cx))
        marked += 1
    return marked


_CONFUSABLE = str.maketrans({"O": "0", "o": "0", "〇": "0", "D": "0", "Q": "0",
                             "l": "1", "I": "1", "|": "1", "丨": "1", "!": "1"})
_NUMBER_LIKE = re.compile(r"^[0-9OoDQ〇lI|丨!]+$")
_SPECKS = ".,，。、·'`‘’:：;；"  # a speck of dirt beside a number reads as one of these


def _mend(table: Table, stats: _Stats) -> Table:
    """Table cells that read as a number but for a letter taken for a digit (O for 0, l for 1) or
    a speck read as punctuation at either end (`0.`, `，12`)."""
    cells = []
    changed = False
    for cell in table.cells:
        text = cell.text.replace(" ", "")
        core = text.strip(_SPECKS)
        mendable = core != text or not core.isdigit()
        if core and mendable and _NUMBER_LIKE.match(core) and (any(ch.isdigit() for ch in core) or len(core) <= 4):
            cell = Cell(core.translate(_CONFUSABLE), cell.row, cell.col, cell.rowspan, cell.colspan)
            stats.mended_cells += 1
            changed = True
        cells.append(cell)
    return Table(cells, page=table.page) if changed else table
