"""Budgets, alerts, forecasts, reports: everything computed from the store (no Textual)."""
