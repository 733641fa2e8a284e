"""Plan windows on the Quotas screen: gauges side by side, burn rate, history, data age, failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from costtui.analytics.plans import burn
from costtui.config import Settings
from costtui.models import Account, BilledLine, QuotaSnapshot
from costtui.store import Store

textual = pytest.importorskip("textual")

from costtui.ui.app import make_app  # noqa: E402
from costtui.ui.screens.quotas import (  # noqa: E402
    AccountCardWidget,
    PlanCardWidget,
    QuotasScreen,
    render_card,
    render_plan_card,
    render_spend,
)

NOW = datetime(2026, 8, 3, 12, tzinfo=UTC)


def window(
    provider: str, account: str, kind: str, used: int, at: datetime, resets: datetime, **kw: Any
) -> QuotaSnapshot:
    return QuotaSnapshot(
        provider=provider,
        account=account,
        kind=kind,
        used=Decimal(used),
        limit=Decimal(100),
        remaining=Decimal(100 - used),
        unit="percent",
        resets_at=resets,
        taken_at=at,
        **kw,
    )


def seeded(db: Path) -> Path:
    with Store(db) as store:
        store.billing.add_account(Account(provider="zai", key_fp="abcd…wxyz"))
        store.billing.mark_success(1, "quota", now=NOW)
        snaps = []
        for minutes, five, week in ((120, 20, 30), (60, 40, 31), (0, 60, 32)):
            at = NOW - timedelta(minutes=minutes)
            snaps.append(
                window(
                    "anthropic",
                    "claude-code",
                    "plan.five_hour",
                    five,
                    at,
                    NOW + timedelta(hours=3),
                    source="statusline",
                )
            )
            snaps.append(
                window(
                    "anthropic", "claude-code", "plan.seven_day", week, at, NOW + timedelta(days=4), source="statusline"
                )
            )
        snaps.append(window("zai", "default", "plan.five_hour", 37, NOW, NOW + timedelta(hours=2)))
        snaps.append(window("zai", "default", "plan.weekly", 92, NOW, NOW + timedelta(days=2)))
        snaps.append(window("openai", "codex", "plan.weekly", 10, NOW, NOW + timedelta(days=5)))
        store.billing.record_quotas(snaps)
        store.plans.mark("claude_statusline", "anthropic", "claude-code", NOW)
        store.plans.mark(
            "codex_usage", "openai", "codex", NOW, "codex: Codex's sign-in has expired: sign in again in Codex"
        )
        store.billing.record_billed(
            [
                BilledLine(provider=p, account="default", stream="x", kind="cost", day=NOW.date(), cost_usd=Decimal(v))
                for p, v in (("openai", "75"), ("anthropic", "25"))
            ]
        )
    return db


def text_of(app: Any, renderable: Any) -> str:
    return "".join(seg.text for seg in app.console.render(renderable))


async def settle(pilot: Any) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def test_plan_cards_gauges_burn_history_age_and_failure(db_path: Path) -> None:
    app = make_app(Settings(), seeded(db_path), listener=False, now=NOW)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QuotasScreen) and not screen.has_class("-empty")
        plans = list(screen.query(PlanCardWidget))
        assert [str(p.border_title) for p in plans] == [
            "Claude Pro/Max plan · Claude Code",
            "ChatGPT / Codex plan · Codex",
        ]
        claude, codex = screen.data.plans
        text = text_of(app, render_plan_card(claude, NOW))
        # Side by side: the 5-hour and 7-day labels share a line.
        assert any("5-hour" in line and "7-day" in line for line in text.splitlines())
        assert "60% used · 40% left" in text and "resets in 3 h" in text
        assert "runs out in 2 h at this rate" in text  # 20 points an hour, 40 left
        assert "data from just now · Claude Code's status line" in text
        assert "▁" in text or "▂" in text  # the used-% history
        assert plans[1].has_class("-error")
        assert "last error: codex: Codex's sign-in has expired: sign in again in Codex" in text_of(
            app, render_plan_card(codex, NOW)
        )
        zai = [c for c in screen.query(AccountCardWidget)]
        assert len(zai) == 1
        ztext = text_of(app, render_card(screen.data.cards[0], NOW))
        assert "weekly" in ztext and "92% used · 8% left" in ztext and "5-hour" in ztext
        spend = text_of(app, render_spend(screen.data))
        assert "75%" in spend and "25%" in spend


def test_burn_counts_from_the_last_reset() -> None:
    t = [NOW - timedelta(hours=h) for h in (3, 2, 1, 0)]
    # Left of a window: 50 → 10 (used), reset → 100 → 80: only the last hour's 20/h counts.
    points = [(t[0], Decimal(50)), (t[1], Decimal(10)), (t[2], Decimal(100)), (t[3], Decimal(80))]
    out = burn(points, Decimal(80), NOW)
    assert out.runs_out_at == NOW + timedelta(hours=4)
    assert burn(points, Decimal(80), NOW, resets_at=NOW + timedelta(hours=1)).lasts_to_reset
    assert burn(points[:1], Decimal(80), NOW).runs_out_at is None
    assert burn([(t[2], Decimal(5)), (t[3], Decimal(9))], Decimal(9), NOW).runs_out_at is None  # not running down


async def test_quotas_json_lists_every_window_with_plan_health(db_path: Path) -> None:
    from click.testing import CliRunner

    from costtui.cli import cli

    seeded(db_path)
    import json

    rows = json.loads(CliRunner().invoke(cli, ["--db", str(db_path), "quotas", "--json"]).output)
    kinds = {(r["provider"], r["account"], r["kind"]) for r in rows}
    assert ("anthropic", "claude-code", "plan.five_hour") in kinds and ("zai", "default", "plan.weekly") in kinds
    codex = next(r for r in rows if r["account"] == "codex")
    assert codex["health"] == "error" and "sign in again in Codex" in codex["last_error"]
    claude = next(r for r in rows if r["account"] == "claude-code")
    assert claude["health"] == "ok" and claude["unit"] == "percent" and set(claude) == set(rows[-1])


def _press_3() -> Any:
    async def run_before(pilot: Any) -> None:
        await pilot.press("3")
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_plan_cards_snapshot(
    snap_compare: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    import time as _time

    monkeypatch.setenv("TZ", "UTC")
    _time.tzset()
    seeded(db_path)
    monkeypatch.chdir(db_path.parent)
    app = make_app(Settings(), Path(db_path.name), listener=False, now=NOW)
    assert snap_compare(app, terminal_size=size, run_before=_press_3())


def test_quotas_text_shows_plan_windows_in_percent(db_path: Path) -> None:
    from click.testing import CliRunner

    from costtui.cli import cli

    seeded(db_path)
    out = CliRunner().invoke(cli, ["--db", str(db_path), "quotas"]).output
    line = next(x for x in out.splitlines() if "zai/default" in x and "plan.weekly" in x)
    assert "used 92%" in line and "left 8%" in line


async def test_s_copies_the_status_line_windows_with_no_account(db_path: Path) -> None:
    import json

    from costtui.services import claude_statusline as cs
    from costtui.services.plans import spool_path

    reading = cs.parse(json.dumps({"rate_limits": {"five_hour": {"used_percentage": 44, "resets_at": 4102444800}}}))
    cs.write_spool(spool_path(), reading, NOW.timestamp())
    app = make_app(Settings(), db_path, listener=False, now=NOW)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        assert not list(app.screen.query(PlanCardWidget))
        await pilot.press("s")
        for _ in range(60):
            await settle(pilot)
            if list(app.screen.query(PlanCardWidget)):
                break
        (card,) = app.screen.query(PlanCardWidget)
        assert "44% used · 56% left" in text_of(app, render_plan_card(app.screen.data.plans[0], NOW))
        assert str(card.border_title) == "Claude Pro/Max plan · Claude Code"
