"""A statement as PDF, written page by page as a stream of bytes.

reportlab's canvas keeps every finished page (compressed) in memory until save(), so a statement's memory would grow
with its period; this writes each page out as soon as it is full. It needs nothing reportlab's canvas adds: the two
standard Helvetica fonts (no embedding), text, and a rule or two. What stays in memory is one page's content and
each object's byte offset for the cross-reference table at the end, and the list of pages: about 26 bytes a page
(a page holds 46 entries), so 57 KB at 100,000 entries.
Text widths come from reportlab's font metrics, so amounts can be right-aligned."""

import zlib
from array import array
from collections.abc import Iterable, Iterator
from datetime import UTC

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase.pdfmetrics import stringWidth

from wallet.selectors.statements import StatementRow, StatementSummary

WIDTH, HEIGHT = landscape(A4)
MARGIN = 36
ROW_HEIGHT = 11
FONT_SIZE = 8
REGULAR, BOLD = "Helvetica", "Helvetica-Bold"
# Object numbers: the fixed objects first, then two per page (the page and its content stream).
CATALOG, PAGES, FONT_REGULAR, FONT_BOLD, INFO = 1, 2, 3, 4, 5
FIRST_PAGE_OBJECT = 6
# Column: (title, left x, right-aligned?, characters kept)
COLUMNS = (
    ("Time (UTC)", MARGIN, False, 19),
    ("Transaction", 130, False, 12),
    ("Kind", 185, False, 14),
    ("Counterparty", 255, False, 22),
    ("Note", 360, False, 40),
    ("Reference", 540, False, 22),
    ("In", 680, True, 16),
    ("Out", 735, True, 16),
    ("Balance", WIDTH - MARGIN, True, 18),
)
SYSTEM_PARTIES = {"FUNDING": "Top-up", "PAYOUTS": "Payout", "HOLDS": "Held funds"}


def _text(value: str) -> bytes:
    # The standard fonts' WinAnsiEncoding: what it cannot show becomes "?", and PDF string syntax is escaped.
    raw = value.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)").replace(b"\r", b" ")


class _Page:
    def __init__(self) -> None:
        self.ops: list[bytes] = []
        self.y = HEIGHT - MARGIN

    def text(self, x: float, y: float, value: str, *, font: str = REGULAR, size: float = FONT_SIZE, right=False):
        if right:
            x -= stringWidth(value, font, size)
        name = b"/F2" if font == BOLD else b"/F1"
        self.ops.append(b"BT %s %g Tf %.2f %.2f Td (%s) Tj ET" % (name, size, x, y, _text(value)))

    def rule(self, y: float) -> None:
        self.ops.append(b"0.5 w %.2f %.2f m %.2f %.2f l S" % (MARGIN, y, WIDTH - MARGIN, y))

    def content(self) -> bytes:
        return zlib.compress(b"\n".join(self.ops))


class _Writer:
    """Numbers objects and remembers where each starts, for the cross-reference table: eight bytes per object."""

    def __init__(self) -> None:
        self.position = 0
        self.offsets = array("q")  # by object number; 0 is the free-list head, never an object

    def raw(self, data: bytes) -> bytes:
        self.position += len(data)
        return data

    def obj(self, number: int, body: bytes) -> bytes:
        if number >= len(self.offsets):
            self.offsets.extend([0] * (number + 1 - len(self.offsets)))
        self.offsets[number] = self.position
        return self.raw(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def stream(self, number: int, data: bytes) -> bytes:
        return self.obj(number, b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data))


def _money(amount) -> str:
    return f"{amount:,}"


def _summary_lines(summary: StatementSummary, username: str, verification_code: str) -> list[tuple[str, str]]:
    def moment(value):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

    return [
        ("Account holder", username),
        ("Period", f"{moment(summary.period_from)} to {moment(summary.period_to)} (end excluded)"),
        ("Currency", summary.currency),
        ("Opening balance", _money(summary.opening)),
        ("Total in", _money(summary.total_in)),
        ("Total out", _money(summary.total_out)),
        ("Closing balance", _money(summary.closing)),
        ("Entries", str(summary.count)),
        ("Verification code", verification_code),
    ]


def render_statement_pdf(
    *, summary: StatementSummary, username: str, verification_code: str, rows: Iterable[StatementRow]
) -> Iterator[bytes]:
    """The PDF's bytes, a page at a time: the first page opens with the period, the balances, the totals, the count
    and the verification code; the entries follow, oldest first, with the running balance."""
    writer = _Writer()
    yield writer.raw(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    yield writer.obj(CATALOG, b"<< /Type /Catalog /Pages %d 0 R >>" % PAGES)
    for number, font in ((FONT_REGULAR, REGULAR), (FONT_BOLD, BOLD)):
        yield writer.obj(
            number, b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>" % font.encode()
        )
    yield writer.obj(INFO, b"<< /Title (%s) /Producer (wallet statement) >>" % _text(f"Statement for {username}"))

    page_count = 0

    def finish(page: _Page) -> bytes:
        nonlocal page_count
        number = FIRST_PAGE_OBJECT + 2 * page_count
        page_count += 1
        page.text(WIDTH - MARGIN, MARGIN / 2, f"Page {page_count}", right=True)
        resources = b"<< /Font << /F1 %d 0 R /F2 %d 0 R >> >>" % (FONT_REGULAR, FONT_BOLD)
        body = b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %g %g] /Resources %s /Contents %d 0 R >>" % (
            PAGES, WIDTH, HEIGHT, resources, number + 1,
        )  # fmt: skip
        return writer.obj(number, body) + writer.stream(number + 1, page.content())

    def header(page: _Page) -> None:
        for title, x, right, _ in COLUMNS:
            page.text(x, page.y, title, font=BOLD, right=right)
        page.rule(page.y - 3)
        page.y -= ROW_HEIGHT + 2

    page = _Page()
    page.text(MARGIN, page.y - 8, "Wallet statement", font=BOLD, size=16)
    page.y -= 34
    for label, value in _summary_lines(summary, username, verification_code):
        page.text(MARGIN, page.y, f"{label}:", font=BOLD, size=10)
        page.text(MARGIN + 110, page.y, value, size=10)
        page.y -= 14
    page.y -= 10
    header(page)
    for row in rows:
        if page.y < MARGIN + ROW_HEIGHT:
            yield finish(page)
            page = _Page()
            header(page)
        amount = _money(abs(row.amount))
        cells = (
            row.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            str(row.transaction_id),
            row.kind,
            SYSTEM_PARTIES.get(row.counterparty, row.counterparty),
            row.note,
            row.reference,
            amount if row.amount > 0 else "",
            amount if row.amount < 0 else "",
            _money(row.balance_after),
        )
        for (_, x, right, keep), value in zip(COLUMNS, cells, strict=True):
            page.text(x, page.y, value[:keep], right=right)
        page.y -= ROW_HEIGHT
    if summary.count == 0:
        page.text(MARGIN, page.y, "No entries in this period.")
    yield finish(page)

    kids = bytearray()  # about ten bytes a page, the only part of the file held whole
    for n in range(page_count):
        kids += b"%d 0 R " % (FIRST_PAGE_OBJECT + 2 * n)
    yield writer.obj(PAGES, b"<< /Type /Pages /Kids [%s] /Count %d >>" % (bytes(kids), page_count))
    xref_at = writer.position
    count = len(writer.offsets)
    table = bytearray(b"xref\n0 %d\n0000000000 65535 f \n" % count)
    for number in range(1, count):
        table += b"%010d 00000 n \n" % writer.offsets[number]
        if len(table) >= 64 * 1024:  # sent as it fills, not held whole
            yield writer.raw(bytes(table))
            table.clear()
    trailer = b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        count, CATALOG, INFO, xref_at,
    )  # fmt: skip
    yield writer.raw(bytes(table) + trailer)
