"""Routes every private message in the order safety demands (DESIGN.md principle 5):
crisis, then slip, then craving, then pending input, then menu buttons, then a kind
fallback. Each stage returns True when it handled the message."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Update

from bot.handlers.common import Context, catalog, load_user, reply
from bot.keyboards import main_menu
from bot.services import services
from storage.models import PendingInput, User
from storage.repositories import pending as pending_repo

log = logging.getLogger(__name__)

Stage = Callable[[Update, Context, str, User | None], Awaitable[bool]]
PendingHandler = Callable[[Update, Context, User, PendingInput], Awaitable[None]]
MenuHandler = Callable[[Update, Context, User], Awaitable[None]]

ROUTER_KEY = "router"
_NOT_WORDS = re.compile(r"[^\w\s]")


def bare(label: str) -> str:
    """A label without emoji or punctuation, lower case: what a person would type."""
    return " ".join(_NOT_WORDS.sub(" ", label).split()).casefold()


@dataclass
class TextRouter:
    stages: list[Stage] = field(default_factory=list)
    pending: dict[str, PendingHandler] = field(default_factory=dict)
    menu: dict[str, MenuHandler] = field(default_factory=dict)  # content key of label -> handler

    async def on_message(self, update: Update, context: Context) -> None:
        message = update.effective_message
        assert message is not None and update.effective_user is not None
        text = message.text or message.caption or ""
        user = await load_user(context, update.effective_user.id)
        for stage in self.stages:
            if await stage(update, context, text, user):
                return
        t = catalog(context, user, update)
        if user is None:
            await reply(update, context, t.t("common.need_consent"))
            return
        # A keyboard button or "cancel" means the person moved on: it is never taken as
        # the text a flow was waiting for.
        typed = " ".join(message.text.split()).casefold() if message.text else ""
        # the keyboard's labels, tapped or typed in plain words ("breathe", "my plans")
        menu = next((h for key, h in self.menu.items() if message.text
                     and (message.text.strip() == t.t(key) or bare(typed) == bare(t.t(key)))),
                    None)
        if menu is not None or typed in {w.casefold() for w in t.list("common.cancel_words")}:
            async with services(context).db.session() as s:
                await pending_repo.clear(s, user.id)
            if menu is not None:
                await menu(update, context, user)
            else:
                await reply(update, context, t.t("common.cancelled"), main_menu(t))
            return
        if await self._pending(update, context, user):
            return
        if message.text:
            await reply(update, context, t.t("common.not_understood"), main_menu(t))
        else:
            await reply(update, context, t.t("common.unsupported_message"), main_menu(t))

    async def _pending(self, update: Update, context: Context, user: User) -> bool:
        async with services(context).db.session() as s:
            row = await pending_repo.get(s, user.id)
        if row is None:
            return False
        handler = self.pending.get(row.kind)
        if handler is None:  # written by a newer or older version: drop, don't trap the person
            log.warning("dropping pending input of unknown kind %s", row.kind)
            async with services(context).db.session() as s:
                await pending_repo.clear(s, user.id)
            return False
        await handler(update, context, user, row)
        return True


def router(context: Context) -> TextRouter:
    return context.application.bot_data[ROUTER_KEY]  # type: ignore[no-any-return]
