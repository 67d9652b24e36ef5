"""Shared services, kept on `application.bot_data` (one place, typed access)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import CallbackContext

from bot.clock import Clock
from bot.config import Settings
from bot.pacing import StepScheduler
from content import Catalog, Texts
from storage.db import Database

KEY = "services"


@dataclass
class Services:
    settings: Settings
    db: Database
    texts: Texts
    clock: Clock
    steps: StepScheduler

    def catalog(self, locale: str | None = None) -> Catalog:
        return self.texts.get(locale)


def services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    return context.application.bot_data[KEY]  # type: ignore[no-any-return]
