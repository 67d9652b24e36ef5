"""Insights: what a person's own data shows (charts, patterns, weekly facts).

`series` and `patterns` are pure (no Telegram, no database); `chart` renders with
matplotlib's Agg backend. The Telegram side is `bot/handlers/stats.py`."""
