"""The empty state: what would fill this screen, with the real address and keys that do it.

It names the listener's actual URL (the running listener's, the ``costtui serve`` this window
views, or the configured one), the keys of *this* app (after the user's keymap), and offers
``costtui --demo`` — a demo database of its own — instead of filling this database with demo data.
It re-renders when the listener's status changes (a port of 0 becomes a real port once bound).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from rich.markup import escape
from textual.widgets import Static

if TYPE_CHECKING:
    from costtui.ui.app import CostApp

EmptyKind = Literal["usage", "accounts", "proxy"]

DEMO_LINE = "  • just looking? run [b]costtui --demo[/b]: a demo database of its own\n    (this one stays as it is)"


def _url(host: str, port: int) -> str:
    host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{host}:{port}"


def listener_url(app: CostApp) -> str | None:
    """The listener's address as a client should use it, when it is known."""
    embedded = app.embedded_listener
    settings = app.settings.listener
    if embedded.running and embedded.listener is not None:
        return embedded.listener.url
    if embedded.viewer_of:
        return embedded.viewer_of
    if settings.port != 0:
        return _url(settings.host, settings.port)
    return None


def listener_hint(app: CostApp) -> str:
    """Where an app should send its events, as one or two bullet lines (markup)."""
    embedded = app.embedded_listener
    running = embedded.listener if embedded.running else None
    settings = app.settings.listener
    if running is not None:
        url = running.url
    elif embedded.viewer_of:
        url = embedded.viewer_of
    elif app.listener and settings.enabled and settings.port != 0:
        url = _url(settings.host, settings.port)
    elif app.listener and settings.enabled:
        return "  • point an app at the listener (starting on a free port: the header shows it)"
    else:
        where = _url(settings.host, settings.port or 8787)
        return (
            "  • the listener is off in this window: run [b]costtui serve[/b]\n"
            f"    and point an app at [b]POST {escape(where)}/ingest[/b]"
        )
    url = escape(url)
    return f"  • point an app at the listener: [b]POST {url}/ingest[/b]\n    (or OTLP at {url}/v1/traces)"


def usage_message(app: CostApp) -> str:
    quotas = escape(app.key_display("screen.quotas", "3"))
    add = escape(app.key_display("quotas.add", "a"))
    proxy = escape(app.key_display("screen.proxy", "4"))
    agents = escape(app.key_display("screen.agents", "5"))
    return (
        "[b]No usage yet[/b]\n\n"
        f"{listener_hint(app)}\n"
        f"  • or send your SDK's calls through the proxy (press [b]{proxy}[/b] for how)\n"
        f"  • pull billed costs: press [b]{quotas}[/b], then [b]{add}[/b] to add a provider account\n"
        "  • coding agents: Claude Code, Codex and Gemini CLI logs are read\n"
        f"    as they grow (press [b]{agents}[/b])\n"
        f"{DEMO_LINE}\n\n"
        "This screen updates by itself as soon as data arrives."
    )


def accounts_message(app: CostApp) -> str:
    add = escape(app.key_display("quotas.add", "a"))
    cost = escape(app.key_display("quotas.add_cost", "c"))
    return (
        "[b]No provider accounts yet[/b]\n\n"
        "Spend limits, balances and rate-limit headroom show here.\n\n"
        f"  • press [b]{add}[/b] to add an account: an OpenAI or Anthropic admin key,\n"
        "    OpenRouter, DeepSeek, Moonshot, xAI\n"
        "    (or in a shell: [b]costtui keys add openai --admin[/b])\n"
        f"  • no billing API (Groq, Gemini…)? press [b]{cost}[/b] to add a cost by hand\n"
        f"{DEMO_LINE}"
    )


def proxy_message(app: CostApp) -> str:
    url = escape(listener_url(app) or "http://127.0.0.1:8787")
    off = (
        "" if app.settings.proxy.enabled else "[b]The proxy is off[/b]: [b]enabled = true[/b] under [b][proxy][/b].\n\n"
    )
    return (
        "[b]No calls through the proxy yet[/b]\n\n"
        f"{off}"
        "Point an SDK at costtui instead of the provider: your key goes\n"
        "through, and each call is recorded with tokens, cost and latency.\n\n"
        f"  • OpenAI SDKs, Codex:\n    [b]OPENAI_BASE_URL={url}/v1[/b]\n"
        f"  • Anthropic SDKs, Claude Code:\n    [b]ANTHROPIC_BASE_URL={url}[/b]\n"
        f"  • google-genai: base_url [b]{url}[/b] in http_options\n"
        f"  • OpenRouter, Groq, DeepSeek, Mistral:\n    [b]{url}/openrouter/v1[/b] (…/groq/v1, …)\n\n"
        "docs/proxy.md: the cache, user/team/project headers, rules."
    )


class EmptyState(Static):
    DEFAULT_CSS = """
    EmptyState { padding: 1 2; height: auto; width: 1fr; border: round $primary; margin: 1 2; }
    """

    def __init__(self, kind: EmptyKind = "usage", **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self.kind: EmptyKind = kind

    def on_mount(self) -> None:
        # The listener binds after the first paint (and a port of 0 becomes a real one): follow it.
        self.watch(self.app, "listener_status", self.refresh_message, init=True)

    def refresh_message(self, _: object = None) -> None:
        app: CostApp = self.app  # type: ignore[assignment]
        if self.kind == "proxy":
            self.update(proxy_message(app))
        else:
            self.update(accounts_message(app) if self.kind == "accounts" else usage_message(app))
