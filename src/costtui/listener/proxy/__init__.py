"""The proxy: OpenAI-, Anthropic- and Gemini-compatible routes on the listener that forward each
call to its provider, relay the answer untouched and record the call (docs/proxy.md)."""

from costtui.listener.proxy.handler import Proxy
from costtui.listener.proxy.upstreams import Upstream, UpstreamError, Upstreams

__all__ = ["Proxy", "Upstream", "UpstreamError", "Upstreams"]
