"""Reports and receipts: every format's totals equal the store's, and receipts add up."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from costtui.analytics.reports import (
    BREAKDOWNS,
    PeriodError,
    event_receipt,
    parse_period,
    period_receipt,
    period_report,
)
from costtui.cli import cli
from costtui.commands.reports_cli import BREAKDOWN_WORDS
from costtui.export.pdf import receipt_pdf, report_pdf
from costtui.formatting import money, money_exact
from costtui.models import UsageEvent
from costtui.store import Store

D = Decimal
TODAY = date(2026, 11, 18)  # a Wednesday


def test_periods() -> None:
    assert (p := parse_period("month", TODAY)).start == date(2026, 11, 1) and p.end == TODAY
    assert (p := parse_period("week", TODAY)).start == date(2026, 11, 16) and p.end == TODAY
    assert parse_period("day", TODAY).start == TODAY
    assert (p := parse_period("last-month", TODAY)).start == date(2026, 10, 1) and p.end == date(2026, 10, 31)
    assert (p := parse_period("2026-02", TODAY)).end == date(2026, 2, 28)
    assert (p := parse_period("2026-11-01..2026-11-03", TODAY)).days == 3
    with pytest.raises(PeriodError, match="FROM..TO"):
        parse_period("fortnight", TODAY)
    with pytest.raises(PeriodError, match="before the start"):
        parse_period("2026-11-03..2026-11-01", TODAY)
    assert set(BREAKDOWN_WORDS) == set(BREAKDOWNS)


@pytest.fixture
def store(db_path: Path) -> Store:
    s = Store(db_path)
    events = []
    for i in range(30):
        day = TODAY - timedelta(days=i % 10)
        events.append(
            UsageEvent(
                event_id=f"e{i}",
                ts=datetime(day.year, day.month, day.day, 10, i, tzinfo=UTC),
                provider=("openai", "anthropic")[i % 2],
                model=("gpt-4o-mini", "claude-haiku-4-5")[i % 2],
                app=("chat", "batch", None)[i % 3],
                user=f"u{i % 4}",
                input_tokens=1000 + i,
                cache_read_tokens=100 * (i % 3),
                output_tokens=200 + i,
            )
        )
    events.append(
        UsageEvent(event_id="x", ts=datetime(2026, 11, 17, 9, tzinfo=UTC), provider="acme", model="m9", input_tokens=5)
    )
    s.record(events)
    return s


@pytest.mark.parametrize("by", list(BREAKDOWNS))
def test_report_rows_add_up_to_the_store_total(store: Store, by: str) -> None:
    period = parse_period("2026-11-10..2026-11-18", TODAY)
    r = period_report(store, period, by)
    assert r.total == store.totals(period.start, period.end)
    assert sum((row.cost_usd for row in r.rows), D(0)) == r.total.cost_usd
    assert sum(row.events for row in r.rows) == r.total.events


def test_every_format_carries_the_store_total(store: Store, db_path: Path, tmp_path: Path) -> None:
    period = parse_period("2026-11-10..2026-11-18", TODAY)
    expected = store.totals(period.start, period.end).cost_usd
    store.close()
    base = ["--db", str(db_path), "report", "--period", "2026-11-10..2026-11-18", "--by", "app"]
    runner = CliRunner()
    table = runner.invoke(cli, [*base, "--format", "table"])
    assert table.exit_code == 0, table.output
    assert "TOTAL" in table.output and money(expected) in table.output
    out = runner.invoke(cli, [*base, "--format", "csv"]).output
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows[-1]["app"] == "TOTAL" and D(rows[-1]["cost_usd"]) == expected
    assert sum(D(r["cost_usd"]) for r in rows[:-1]) == expected
    data = json.loads(runner.invoke(cli, [*base, "--format", "json"]).output)
    assert D(data["total"]["cost_usd"]) == expected and data["by"] == "app"
    pdf_path = tmp_path / "r.pdf"
    result = runner.invoke(cli, [*base, "--format", "pdf", "-o", str(pdf_path)])
    assert result.exit_code == 0, result.output
    text = "".join(page.extract_text() for page in PdfReader(pdf_path).pages)
    assert "Spend by app" in text and "TOTAL" in text and money_exact(expected) in text
    assert "(no app)" in text  # events without an app are a row of their own, named


def test_report_pdf_is_real_text_even_for_names_outside_latin1(store: Store) -> None:
    store.record(
        [UsageEvent(event_id="u", ts=datetime(2026, 11, 18, tzinfo=UTC), provider="openai", model="gpt-4o", app="日本")]
    )
    r = period_report(store, parse_period("day", TODAY), "app")
    reader = PdfReader(io.BytesIO(report_pdf(r)))
    assert "TOTAL" in reader.pages[0].extract_text()


def test_receipt_lines_add_up(store: Store) -> None:
    period = parse_period("2026-11-10..2026-11-18", TODAY)
    receipt = period_receipt(store, period)
    for li in receipt.lines:
        if li.item != "adjustment" and li.amount is not None:
            assert li.unit_price is not None
            assert li.amount == (D(li.tokens) * li.unit_price / 1_000_000).quantize(D("0.000000001"))
    priced = store.totals(period.start, period.end).cost_usd
    assert receipt.total == priced == sum(receipt.subtotals().values())
    # gpt-4o-mini: $0.15 in, $0.075 cache read, $0.60 out per 1M
    mini = {li.item: li for li in receipt.lines if li.model == "gpt-4o-mini"}
    assert mini["input"].unit_price == D("0.15") and mini["output"].unit_price == D("0.6")
    assert "adjustment" not in mini
    assert receipt.unpriced_models == ["acme/m9"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt_pdf(receipt))).pages)
    assert "TOTAL" in text and money_exact(receipt.total) in text and "gpt-4o-mini" in text


def test_receipt_for_one_event_and_the_cli(store: Store, db_path: Path) -> None:
    event = store.reports.find_event("e3")
    assert event is not None and store.reports.find_event(f"#{event.row_id}") == event
    receipt = event_receipt(store, event)
    assert receipt.total == event.cost_usd and receipt.reference == "e3"
    store.close()
    out = CliRunner().invoke(cli, ["--db", str(db_path), "receipt", "--event", "e3"])
    assert out.exit_code == 0, out.output
    assert "TOTAL" in out.output and money_exact(event.cost_usd) in out.output
    missing = CliRunner().invoke(cli, ["--db", str(db_path), "receipt", "--event", "nope"])
    assert missing.exit_code == 1 and "no event 'nope'" in missing.output
