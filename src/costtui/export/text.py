"""Reports and receipts as plain text tables, CSV and JSON."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from typing import TYPE_CHECKING, TextIO

from costtui.formatting import csv_cell, money, money_exact, plural, safe, tokens

if TYPE_CHECKING:
    from costtui.analytics.reports import Receipt, Report


def report_table(report: Report) -> list[str]:
    """The report as aligned text lines (what ``--format table`` prints)."""
    records = report.records()
    width = min(48, max(12, *(len(safe(r["name"])) for r in records)))
    head = f"{report.by:<{width}} {'cost':>12} {'share':>7} {'events':>9} {'input':>8} {'cached':>8} {'output':>8}"
    lines = [f"Spend by {report.by}, {report.period} (UTC days)", head, "-" * len(head)]
    for i, r in enumerate(records):
        if i == len(records) - 1:
            lines.append("-" * len(head))
        share = "" if r["share_pct"] is None else f"{r['share_pct']}%"
        lines.append(
            f"{safe(r['name'])[:width]:<{width}} {money(r['cost_usd']):>12} {share:>7} {r['events']:>9,}"
            f" {tokens(r['input_tokens']):>8} {tokens(r['cache_read_tokens'] + r['cache_write_tokens']):>8}"
            f" {tokens(r['output_tokens']):>8}"
        )
    unpriced = report.total.unpriced_events
    if unpriced:
        lines.append(f"Not in the cost: {plural(unpriced, 'unpriced event')} (set a price: costtui prices set).")
    return lines


def report_csv(report: Report, out: TextIO) -> None:
    """One row per value and a TOTAL row; amounts as plain decimals, text cells formula-safe."""
    from costtui.analytics.reports import REPORT_COLUMNS

    writer = csv.writer(out)
    writer.writerow([report.by if c == "name" else c for c in REPORT_COLUMNS])
    for r in report.records():
        writer.writerow([csv_cell(_plain(r[c])) for c in REPORT_COLUMNS])


def report_json(report: Report, out: TextIO) -> None:
    json.dump(report.as_json(), out, indent=2)
    out.write("\n")


def _plain(value: object) -> object:
    """A Decimal as exact text without exponent ("0.00042", not "4.2E-4")."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    return value


def receipt_text(receipt: Receipt) -> list[str]:
    """The receipt as text: header, line items (tokens × unit price = amount), subtotals, total."""
    lines = [
        receipt.title,
        f"Period:   {receipt.period}",
        f"Account:  {safe(receipt.account)}",
    ]
    if receipt.reference:
        lines.append(f"Request:  {safe(receipt.reference)}")
    lines.append(f"Issued:   {receipt.generated_at:%Y-%m-%d %H:%M} UTC")
    lines.append("")
    head = f"{'item':<14} {'tokens':>14}   {'unit price / 1M':>15}   {'amount':>14}"
    model = None
    subtotals = receipt.subtotals()
    for li in receipt.lines:
        if (li.provider, li.model) != model:
            if model is not None:
                lines.append(f"{'':<14} {'':>14}   {'subtotal':>15}   {money_exact(subtotals.get(model)):>14}")
                lines.append("")
            model = (li.provider, li.model)
            lines.append(safe(f"{li.provider} / {li.model}"))
            lines.append(head)
        if li.item == "adjustment":
            lines.append(f"{'adjustment':<14} {'':>14}   {'recorded cost':>15}   {money_exact(li.amount):>14}")
            continue
        price = "unpriced" if li.unit_price is None else f"× {money_exact(li.unit_price)}"
        amount = "—" if li.amount is None else money_exact(li.amount)
        lines.append(f"{li.item:<14} {li.tokens:>14,}   {price:>15} = {amount:>14}")
    if model is not None:
        lines.append(f"{'':<14} {'':>14}   {'subtotal':>15}   {money_exact(subtotals.get(model)):>14}")
    else:
        lines.append("No usage in this period.")
    lines.append("")
    lines.append(f"{'TOTAL':<14} {'':>14}   {'':>15}   {money_exact(receipt.total):>14}")
    if receipt.unpriced_models:
        lines.append("Not priced (not in the total): " + ", ".join(safe(m) for m in receipt.unpriced_models))
    if any(li.item == "adjustment" for li in receipt.lines):
        lines.append("Adjustment: the recorded cost differs from tokens × list price (a client-reported cost,")
        lines.append("price tiers or a price change in the period); the total is the recorded cost.")
    return lines
