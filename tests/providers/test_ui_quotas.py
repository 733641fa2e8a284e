"""The Quotas screen (key 3) and Settings → Accounts, driven through Textual's pilot."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from costtui.config import Settings
from costtui.models import Account, BilledLine, QuotaSnapshot
from costtui.store import Store

textual = pytest.importorskip("textual")

from textual.widgets import Button, Input  # noqa: E402

from costtui.ui.app import make_app  # noqa: E402
from costtui.ui.dialogs.account import AddAccountModal  # noqa: E402
from costtui.ui.dialogs.confirm import ConfirmModal  # noqa: E402
from costtui.ui.dialogs.passphrase import PassphraseModal  # noqa: E402
from costtui.ui.screens.quotas import AccountCardWidget, QuotasScreen, render_card  # noqa: E402
from costtui.ui.widgets.accounts_panel import AccountsPanel  # noqa: E402

from .fakes import FakeAPI, js  # noqa: E402

NOW = datetime(2026, 8, 3, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def utc_tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def seeded(db_path: Path) -> Path:
    with Store(db_path) as store:
        acc = store.billing.add_account(Account(provider="openai", key_kind="admin", key_fp="sk-admi…abcd"))
        store.billing.add_account(Account(provider="deepseek", key_fp="sk-12…wxyz"))
        store.billing.mark_success(acc.id, "quota", now=NOW)
        store.billing.mark_error(2, "quota", "deepseek: the key was rejected (401)", now=NOW)
        store.billing.record_quotas(
            [
                QuotaSnapshot(
                    provider="openai",
                    account="default",
                    kind="spend_limit",
                    limit=100,
                    used=Decimal("82.5"),
                    remaining=Decimal("17.5"),
                    window="month",
                    resets_at=datetime(2026, 9, 1, tzinfo=UTC),
                    taken_at=NOW,
                ),
                QuotaSnapshot(
                    provider="deepseek",
                    account="default",
                    kind="balance",
                    scope="usd",
                    remaining=Decimal("17.42"),
                    taken_at=NOW,
                ),
            ],
        )
        store.billing.record_billed(
            [
                BilledLine(
                    provider="openai",
                    account="default",
                    stream="openai.costs",
                    kind="cost",
                    day=date(2026, 8, 1),
                    cost_usd=Decimal("82.5"),
                )
            ],
        )
    return db_path


def app_for(db: Path) -> Any:
    return make_app(Settings(), db, listener=False, now=NOW)


async def settle(pilot: Any) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def wait_until(pilot: Any, condition: Any, steps: int = 50) -> bool:
    """Changes reach the screens through a debounced reload: poll the app's own loop (bounded)."""
    for _ in range(steps):
        if condition():
            return True
        await pilot.pause(0.05)
        await settle(pilot)
    return bool(condition())


async def test_quotas_empty_state_teaches(db_path: Path) -> None:
    app = app_for(db_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QuotasScreen) and screen.has_class("-empty")
        assert "costtui keys add" in str(screen.query_one("#quotas-empty").render())


async def test_quota_cards(db_path: Path) -> None:
    app = app_for(seeded(db_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        cards = list(app.screen.query(AccountCardWidget))
        assert [c.border_title.split(" ·")[0] for c in cards] == ["deepseek/default", "openai/default"]
        assert cards[0].has_class("-error") and cards[1].has_class("-ok")
        data = app.screen.data
        text = "".join(seg.text for seg in app.console.render(render_card(data.cards[1], NOW)))
        assert "$82.50 of $100.00" in text and "$17.50 left" in text and "billed 30 days $82.50" in text
        err = "".join(seg.text for seg in app.console.render(render_card(data.cards[0], NOW)))
        assert "last error: deepseek: the key was rejected" in err and "$17.42 left" in err


async def test_add_account_with_password_field(db_path: Path, memory_keyring: Any) -> None:
    app = app_for(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("0")
        await settle(pilot)
        panel = app.screen.query_one(AccountsPanel)
        panel.focus()
        await pilot.press("a")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, AddAccountModal)
        key_input = modal.query_one("#key", Input)
        assert key_input.password
        modal.query_one("#provider").value = "deepseek"
        await pilot.pause()
        key_input.value = "sk-deepseek-TUIKEY-0001"
        await pilot.click("#save")
        await settle(pilot)
        assert not isinstance(app.screen, AddAccountModal), str(app.screen.query_one("#account-error").render())
        assert memory_keyring.store[("costtui", "deepseek:default")] == "sk-deepseek-TUIKEY-0001"
        assert await wait_until(pilot, lambda: [a.label for a in panel.data.accounts] == ["deepseek/default"])
        # Remove, with confirmation.
        panel.focus()
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.click("#yes")
        await settle(pilot)
        assert await wait_until(pilot, lambda: panel.data.accounts == [])
        assert memory_keyring.store == {}


async def test_add_account_checks_the_key_kind_and_warns_about_the_format(db_path: Path, memory_keyring: Any) -> None:
    app = app_for(db_path)
    notes: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        real_notify = app.notify
        app.notify = lambda message, *a, **k: (notes.append(str(message)), real_notify(message, *a, **k))[1]  # type: ignore[method-assign]
        await pilot.press("0")
        await settle(pilot)
        panel = app.screen.query_one(AccountsPanel)
        panel.focus()
        await pilot.press("a")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, AddAccountModal)
        modal.query_one("#provider").value = "openai"
        await pilot.pause()
        modal.query_one("#kind").value = "management"  # OpenAI sync needs an Admin key
        modal.query_one("#key", Input).value = "sk-proj-TUIKEY-0000000001"
        await pilot.click("#save")
        await settle(pilot)
        assert isinstance(app.screen, AddAccountModal)
        assert "not management" in str(app.screen.query_one("#account-error").render())
        assert memory_keyring.store == {}
        modal.query_one("#kind").value = "admin"
        save = modal.query_one("#save", Button)
        assert await wait_until(pilot, lambda: not save.has_class("-active"))  # the first click's effect
        assert await pilot.click("#save")  # still on screen below the error
        await settle(pilot)
        assert not isinstance(app.screen, AddAccountModal), str(app.screen.query_one("#account-error").render())
        assert memory_keyring.store[("costtui", "openai:default")] == "sk-proj-TUIKEY-0000000001"
        assert any("does not look like an OpenAI Admin key" in n for n in notes)


async def test_passphrase_modal_wrong_then_right(credentials, db_path: Path, no_keyring: None) -> None:
    credentials.unlock("right")
    credentials.set_secret("x", "y")
    credentials.lock()
    app = app_for(seeded(db_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        assert app.screen.has_class("-locked")
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, PassphraseModal)
        app.screen.query_one("#passphrase", Input).value = "wrong"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PassphraseModal)
        assert "wrong passphrase" in str(app.screen.query_one("#passphrase-error").render())
        app.screen.query_one("#passphrase", Input).value = "right"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, QuotasScreen) and not app.screen.has_class("-locked")


async def test_sync_now_runs_fetch_workers(credentials, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeAPI().add(
        "GET",
        "/user/balance",
        js({"is_available": True, "balance_infos": [{"currency": "USD", "total_balance": "3.21"}]}),
    )
    monkeypatch.setattr("costtui.services.sync.make_http_client", lambda timeout=30: api.client())
    with Store(db_path) as store:
        store.billing.add_account(Account(provider="deepseek"))
    credentials.set_secret("deepseek:default", "sk-deepseek-SYNC")
    app = app_for(db_path)
    groups: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        real_run_worker = app.run_worker

        def spy(*args: Any, **kwargs: Any) -> Any:
            groups.append(kwargs.get("group", ""))
            return real_run_worker(*args, **kwargs)

        monkeypatch.setattr(app, "run_worker", spy)
        await pilot.press("s")
        for _ in range(20):
            await settle(pilot)
            if app.screen.data and app.screen.data.cards[0].quotas:
                break
            await pilot.pause(0.05)
        assert "fetch:deepseek" in groups
        assert app.screen.data.cards[0].quotas[0].remaining == Decimal("3.21")


def _press_3() -> Any:
    async def run_before(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)

    return run_before


def test_quotas_snapshot(snap_compare: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded(db_path)
    monkeypatch.chdir(db_path.parent)
    app = make_app(Settings(), Path(db_path.name), listener=False, now=NOW)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_press_3())


def test_quotas_snapshot_80x24(snap_compare: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seeded(db_path)
    monkeypatch.chdir(db_path.parent)
    app = make_app(Settings(), Path(db_path.name), listener=False, now=NOW)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_press_3())


async def test_manual_cost_form(db_path: Path) -> None:
    from costtui.ui.dialogs.manual_cost import ManualCostModal

    app = app_for(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, ManualCostModal)
        modal.query_one("#m-provider", Input).value = "groq"
        modal.query_one("#m-from", Input).value = "2026-08-01"
        modal.query_one("#m-to", Input).value = "2026-07-01"
        modal.query_one("#m-amount", Input).value = "12.50"
        await pilot.click("#m-save")
        await settle(pilot)
        assert "before the start" in str(modal.query_one("#manual-error").render())
        modal.query_one("#m-to", Input).value = "2026-08-02"
        note = modal.query_one("#m-note", Input)
        note.value = "invoice 42"
        note.focus()
        await pilot.press("enter")  # Enter in any field saves (a second click this soon would be a double click)
        await settle(pilot)
        assert not isinstance(app.screen, ManualCostModal)
    with Store(db_path) as store:
        (entry,) = store.billing.list_manual_costs()
        assert (entry.provider, entry.amount_usd, entry.days, entry.note) == ("groq", Decimal("12.50"), 2, "invoice 42")
        assert store.billing.billed_summary().cost_usd == Decimal("12.50")


async def test_edit_account_keeps_or_replaces_the_key(credentials, db_path: Path, memory_keyring: Any) -> None:
    with Store(db_path) as store:
        store.billing.add_account(Account(provider="openrouter", key_kind="inference", key_fp="sk-or-v…0001"))
    credentials.set_secret("openrouter:default", "sk-or-v1-OLDKEY-0001")
    app = app_for(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("0")
        await settle(pilot)
        panel = app.screen.query_one(AccountsPanel)
        panel.focus()
        await pilot.press("k")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, AddAccountModal) and modal.query_one("#name", Input).disabled
        modal.query_one("#base-url", Input).value = "https://gateway.example/api/v1"
        key = modal.query_one("#key", Input)
        key.focus()
        await pilot.press("enter")  # empty key: keep the stored one
        await settle(pilot)
        assert not isinstance(app.screen, AddAccountModal), str(app.screen.query_one("#account-error").render())
        assert memory_keyring.store[("costtui", "openrouter:default")] == "sk-or-v1-OLDKEY-0001"
        assert await wait_until(pilot, lambda: panel.data.accounts[0].base_url == "https://gateway.example/api/v1")
        panel.focus()
        await pilot.press("k")
        await settle(pilot)
        key = app.screen.query_one("#key", Input)
        key.value = "sk-or-v1-NEWKEY-0002"
        key.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert memory_keyring.store[("costtui", "openrouter:default")] == "sk-or-v1-NEWKEY-0002"
        assert await wait_until(pilot, lambda: panel.data.accounts[0].key_fp == "sk-or-v…0002")


def test_card_shows_the_xai_posted_label_and_billed_notes(db_path: Path) -> None:
    from rich.console import Console

    from costtui.providers.anthropic import PRIORITY_TIER_NOTE
    from costtui.providers.xai import POSTED_NOTE
    from costtui.ui.screens.quotas import load_quotas

    with Store(db_path) as store:
        store.billing.add_account(Account(provider="anthropic", key_kind="admin"))
        store.billing.add_account(Account(provider="xai", key_kind="management"))
        store.billing.record_quotas(
            [
                QuotaSnapshot(
                    provider="xai",
                    account="default",
                    kind="balance",
                    scope="prepaid",
                    remaining=Decimal("42.5"),
                    detail=POSTED_NOTE,
                    taken_at=NOW,
                )
            ],
        )
        line = BilledLine(
            provider="anthropic",
            account="default",
            stream="anthropic.cost_report",
            kind="cost",
            day=date(2026, 8, 1),
            cost_usd=Decimal("2"),
            note=PRIORITY_TIER_NOTE,
        )
        store.billing.record_billed([line])
        data = load_quotas(store, Settings().sync, NOW)
    console = Console(width=120, record=True)
    for card in data.cards:
        console.print(render_card(card, NOW))
    text = console.export_text()
    assert "billed 30 days $2.00" in text and "billed: excludes Priority Tier spend" in text
    assert "$42.50 left" in text and "posted balance: lags the console" in text


async def test_add_account_dialog_sends_cloud_accounts_to_the_cli(db_path: Path, memory_keyring: Any) -> None:
    app = app_for(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("0")
        await settle(pilot)
        panel = app.screen.query_one(AccountsPanel)
        panel.focus()
        await pilot.press("a")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, AddAccountModal)
        modal.query_one("#provider").value = "bedrock"
        await pilot.pause()
        assert "costtui keys add bedrock" in str(modal.query_one("#account-hint").render())
        modal.query_one("#key", Input).value = "AKIDEXAMPLE12345678"
        await pilot.click("#save")
        await settle(pilot)
        assert isinstance(app.screen, AddAccountModal)
        assert "costtui keys add bedrock" in str(app.screen.query_one("#account-error").render())
        assert memory_keyring.store == {}
        modal.query_one("#provider").value = "gemini"  # a Gemini API key is one key: the dialog takes it
        await pilot.pause()
        modal.query_one("#key", Input).value = "AIzaSyTUIKEY000000000000001"
        save = modal.query_one("#save", Button)
        assert await wait_until(pilot, lambda: not save.has_class("-active"))
        assert await pilot.click("#save")
        await settle(pilot)
        assert not isinstance(app.screen, AddAccountModal), str(app.screen.query_one("#account-error").render())
        assert memory_keyring.store[("costtui", "gemini:default")] == "AIzaSyTUIKEY000000000000001"
