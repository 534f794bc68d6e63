"""The one document model every extractor produces.

HTML pages, DOCX files, plain text and PDF text layers all become a list of blocks in
reading order: paragraphs and tables. A table is a set of cells placed on a logical
grid (row, col, rowspan, colspan), so that merged header cells and merged data cells
can be read by grid position rather than by their index in a row. Everything after
extraction (table mapping, sections, checks) reads only this model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, NamedTuple, Union


class Cell(NamedTuple):
    """One printed cell. `row`/`col` are its top-left grid position.

    A named tuple: immutable and built at C speed (extractors build hundreds per page).
    Cells are told apart by identity (`is`), never by value: two blank cells are equal.
    """

    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1


@dataclass(slots=True)
class Table:
    """A table as a logical grid. Cells never overlap; uncovered positions are empty.

    Tables are built once by an extractor and then only read; `grid()` is cached and
    rebuilt only when `cells` is replaced or grows.
    """

    cells: list[Cell]
    page: int | None = None
    _grid: tuple[list[Cell], int, list[list[Cell | None]]] | None = field(
        default=None, init=False, repr=False, compare=False)

    @property
    def n_rows(self) -> int:
        return len(self.grid())

    @property
    def n_cols(self) -> int:
        grid = self.grid()
        return len(grid[0]) if grid else 0

    def grid(self) -> list[list[Cell | None]]:
        """Rectangular grid; a merged cell appears (as the same object) in every position it covers.

        The grid is shared between callers: read it, do not modify it.
        """
        cached = self._grid
        if cached is not None and cached[0] is self.cells and cached[1] == len(self.cells):
            return cached[2]
        n_rows = max((c.row + c.rowspan for c in self.cells), default=0)
        n_cols = max((c.col + c.colspan for c in self.cells), default=0)
        grid: list[list[Cell | None]] = [[None] * n_cols for _ in range(n_rows)]
        for cell in self.cells:
            for r in range(cell.row, cell.row + cell.rowspan):
                for c in range(cell.col, cell.col + cell.colspan):
                    grid[r][c] = cell
        self._grid = (self.cells, len(self.cells), grid)
        return grid

    def is_ragged(self) -> bool:
        """True when rows end at different columns: a table with no real grid (plain-text exports).

        Such a table's columns are not aligned, so it is read from each row's right end.
        """
        width = self.n_cols
        return any(row and row[-1] is None for row in self.grid()) and width > 0

    def rows(self) -> list[list[str]]:
        """Plain text rows (merged text repeated), for display and debugging."""
        return [[c.text if c else "" for c in row] for row in self.grid()]

    @classmethod
    def from_rows(cls, rows: list[list[str]], page: int | None = None) -> "Table":
        """A table with no merged cells, from rows of cell texts (ragged rows allowed)."""
        return cls(
            [Cell(text, r, c) for r, row in enumerate(rows) for c, text in enumerate(row)],
            page=page,
        )


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str
    page: int | None = None


Block = Union[Paragraph, Table]


@dataclass(slots=True)
class Document:
    """What an extractor read from one file."""

    blocks: list[Block]
    source_format: str
    pages: int | None = None
    title: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: read by OCR from page images (`extract.ocr`): its tables are kept only when their checks hold
    ocr: bool = False

    def paragraphs(self) -> Iterator[Paragraph]:
        return (b for b in self.blocks if isinstance(b, Paragraph))

    def tables(self) -> Iterator[Table]:
        return (b for b in self.blocks if isinstance(b, Table))

    @property
    def text(self) -> str:
        """Paragraph text in reading order, one paragraph a line (tables left out)."""
        return "\n".join(p.text for p in self.paragraphs())


class ExtractionError(Exception):
    """A file that could not be read. `status` is the report status it leads to."""

    def __init__(self, reason: str, status: str = "failed") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
