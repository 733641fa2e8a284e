"""Rules the proxy enforces before a call goes upstream: model allow/block lists, a maximum
estimated cost per call, enforced budgets, requests and tokens per minute, content filters."""
