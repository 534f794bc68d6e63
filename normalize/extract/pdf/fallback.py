"""pdfminer.six, for the text PDFium drops: slow, so a page is re-read only when PDFium lost some."""

from __future__ import annotations

import math

from .chars import _BREAK_CHARS, _SPACE_CHARS, MAX_CHARS_PER_PAGE, _Ch, _rotation_fn, _to_frame


class _Pdfminer:
    """Characters of single pages read with pdfminer.six (MIT), opened only when a page needs
    it: PDFium drops text it cannot measure (non-embedded CJK fonts without a system font to
    substitute), pdfminer measures glyphs by the font's widths instead. ~50× slower than PDFium,
    so used only where PDFium lost text."""

    def __init__(self, data: bytes, max_pages: int):
        self.data = data
        self.max_pages = max_pages  # the extractor's page cap: no later page is ever asked for
        self.pages = None
        self.used = 0

    def chars(self, index: int, dq: int = 0, width: float = 0.0, height: float = 0.0) -> list[_Ch]:
        """Characters of page `index` in the page frame: pdfminer lays the page out as displayed
        (/Rotate applied); `dq` more quarter turns give a frame `width` × `height`."""
        import logging

        log = logging.getLogger("pdfminer")
        level = log.level
        log.setLevel(logging.CRITICAL)  # a damaged file makes pdfminer log every bad operator
        try:
            chars = self._chars(index)
        finally:
            log.setLevel(level)
        if dq:
            w, h = (height, width) if dq in (1, 3) else (width, height)  # the displayed page
            _to_frame(chars, _rotation_fn(dq, (0.0, 0.0, w, h)), dq)
        return chars

    def _chars(self, index: int) -> list[_Ch]:
        import io

        from pdfminer.converter import PDFPageAggregator
        from pdfminer.layout import LTChar, LTContainer
        from pdfminer.pdfdocument import PDFDocument
        from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
        from pdfminer.pdfpage import PDFPage
        from pdfminer.pdfparser import PDFParser

        if self.pages is None:
            document = PDFDocument(PDFParser(io.BytesIO(self.data)))
            self.pages = []
            for k, pg in enumerate(PDFPage.create_pages(document)):
                if k >= self.max_pages:
                    break
                self.pages.append(pg)
        rm = PDFResourceManager(caching=True)
        device = PDFPageAggregator(rm, laparams=None)
        PDFPageInterpreter(rm, device).process_page(self.pages[index])
        layout = device.get_result()
        out: list[_Ch] = []
        space = False
        prev = -1
        stack = [iter(layout)]
        k = 0
        while stack and len(out) < MAX_CHARS_PER_PAGE:
            obj = next(stack[-1], None)
            if obj is None:
                stack.pop()
                continue
            if isinstance(obj, LTChar):
                k += 1
                c = obj.get_text()
                if len(c) != 1:  # ligatures and (cid:N) placeholders
                    c = c[:1] if c and not c.startswith("(cid:") else "\ufffd"
                if c in _SPACE_CHARS:
                    space = True
                    continue
                if c in _BREAK_CHARS or ord(c) < 0x20 or c == "\ufffd" or 0xD800 <= ord(c) <= 0xDFFF:
                    continue
                a, b = obj.matrix[0], obj.matrix[1]
                turn = math.degrees(math.atan2(b, a)) % 360.0
                q = round(turn / 90.0)
                if abs(turn - 90.0 * q) > 2.0:
                    continue  # oblique: a watermark
                ox, by = obj.matrix[4], obj.matrix[5]
                out.append(_Ch(c, obj.x0, obj.x1, obj.y0, obj.y1, by, space, prev, k, ox, q % 4))
                space = False
                prev = k
            elif isinstance(obj, LTContainer):
                stack.append(iter(obj))
        return out
