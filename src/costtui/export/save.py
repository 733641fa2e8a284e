"""Saving reports and receipts into a folder (the TUI's exports folder) under names that say what
they hold."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from costtui.export.files import atomic_write

if TYPE_CHECKING:
    from costtui.analytics.reports import Period, Receipt, Report


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "all"


def period_slug(period: Period) -> str:
    return period.start.isoformat() if period.start == period.end else f"{period.start}_{period.end}"


def save_report(report: Report, folder: Path) -> list[Path]:
    """The report as CSV and PDF; returns the paths written."""
    from costtui.export.pdf import report_pdf
    from costtui.export.text import report_csv

    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"costtui-report-{_slug(report.by)}-{period_slug(report.period)}"
    buffer = io.StringIO()
    report_csv(report, buffer)
    paths = [stem.with_suffix(".csv"), stem.with_suffix(".pdf")]
    atomic_write(paths[0], buffer.getvalue())
    atomic_write(paths[1], report_pdf(report))
    return paths


def save_receipt(receipt: Receipt, folder: Path, what: str = "") -> list[Path]:
    """The receipt as text and PDF; returns the paths written."""
    from costtui.export.pdf import receipt_pdf
    from costtui.export.text import receipt_text

    folder.mkdir(parents=True, exist_ok=True)
    name = f"costtui-receipt-{_slug(what) + '-' if what else ''}{period_slug(receipt.period)}"
    stem = folder / name
    paths = [stem.with_suffix(".txt"), stem.with_suffix(".pdf")]
    atomic_write(paths[0], "\n".join(receipt_text(receipt)) + "\n")
    atomic_write(paths[1], receipt_pdf(receipt))
    return paths
