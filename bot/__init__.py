"""Craving Companion: the Telegram side (wiring, handlers, keyboards, scheduler, CLI)."""
