"""Reports and receipts as PDF (fpdf2): real text that can be searched, copied and extracted.

The core PDF fonts (Helvetica) cover Latin-1 only; any other character is replaced, so a model
or app name in another script prints as "?" instead of failing the whole document.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from fpdf import FPDF

from costtui import __version__
from costtui.formatting import money_exact, plural, safe, tokens

if TYPE_CHECKING:
    from costtui.analytics.reports import Receipt, Report


def latin1(text: object) -> str:
    """Text the core fonts can draw: control and bidi characters made visible (``safe``), typographic
    dashes and ellipses spelled in ASCII, anything else outside Latin-1 as "?"."""
    value = safe(text).replace("—", "-").replace("…", "...").replace("–", "-")
    return value.encode("latin-1", "replace").decode("latin-1")


def _document(title: str, stamp: datetime) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(title))
    pdf.set_creator(f"costtui {__version__}")
    pdf.set_creation_date(stamp)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=14)
    pdf.cell(0, 8, latin1(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    return pdf


def _line(pdf: FPDF, text: str) -> None:
    pdf.cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")


def report_pdf(report: Report) -> bytes:
    pdf = _document(f"Spend by {report.by}", report.generated_at)
    _line(pdf, f"Period: {report.period} (UTC days)")
    _line(pdf, f"Generated: {report.generated_at:%Y-%m-%d %H:%M} UTC by costtui {__version__}")
    pdf.ln(3)
    records = report.records()
    with pdf.table(
        col_widths=(60, 28, 14, 20, 22, 22),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=5,
        first_row_as_headings=True,
    ) as table:
        head = table.row()
        for title in (report.by, "Cost (USD)", "Share", "Events", "Tokens in", "Tokens out"):
            head.cell(latin1(title))
        for r in records:
            row = table.row()
            row.cell(latin1(r["name"]))
            row.cell(money_exact(r["cost_usd"]))
            row.cell("" if r["share_pct"] is None else f"{r['share_pct']}%")
            row.cell(f"{r['events']:,}")
            row.cell(tokens(r["input_tokens"] + r["cache_read_tokens"] + r["cache_write_tokens"]))
            row.cell(tokens(r["output_tokens"]))
    if report.total.unpriced_events:
        pdf.ln(2)
        _line(pdf, f"Not in the cost: {plural(report.total.unpriced_events, 'unpriced event')}.")
    return bytes(pdf.output())


def receipt_pdf(receipt: Receipt) -> bytes:
    pdf = _document(receipt.title, receipt.generated_at)
    _line(pdf, f"Period: {receipt.period}")
    _line(pdf, f"Account: {receipt.account}")
    if receipt.reference:
        _line(pdf, f"Request: {receipt.reference}")
    _line(pdf, f"Issued: {receipt.generated_at:%Y-%m-%d %H:%M} UTC by costtui {__version__}")
    pdf.ln(3)
    subtotals = receipt.subtotals()
    with pdf.table(
        col_widths=(70, 24, 26, 28, 32),
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=5,
        first_row_as_headings=True,
    ) as table:
        head = table.row()
        for title in ("Model", "Item", "Tokens", "Unit price / 1M", "Amount (USD)"):
            head.cell(title)
        model = None
        for li in receipt.lines:
            key = (li.provider, li.model)
            if key != model and model is not None:
                _subtotal(table, subtotals.get(model))
            row = table.row()
            row.cell(latin1(f"{li.provider}/{li.model}") if key != model else "")
            model = key
            row.cell(li.item)
            if li.item == "adjustment":
                row.cell("")
                row.cell("recorded cost")
            else:
                row.cell(f"{li.tokens:,}")
                row.cell("unpriced" if li.unit_price is None else money_exact(li.unit_price))
            row.cell("-" if li.amount is None else money_exact(li.amount))
        if model is not None:
            _subtotal(table, subtotals.get(model))
        total = table.row()
        total.cell("TOTAL")
        for _ in range(3):
            total.cell("")
        total.cell(money_exact(receipt.total))
    if receipt.unpriced_models:
        pdf.ln(2)
        _line(pdf, "Not priced (not in the total): " + ", ".join(receipt.unpriced_models))
    return bytes(pdf.output())


def _subtotal(table: object, amount: object) -> None:
    row = table.row()  # type: ignore[attr-defined]
    for text in ("", "subtotal", "", ""):
        row.cell(text)
    row.cell(money_exact(amount))  # type: ignore[arg-type]
