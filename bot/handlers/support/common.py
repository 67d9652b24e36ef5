"""What the support feature's modules share: notices to the person, the share fallback."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError
from telegram.ext import Application

from bot import discreet
from bot.keyboards import button, cb, inline
from content import Catalog
from storage.models import User

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]
MAX_SUPPORTERS = 5
TRY_WINDOW = timedelta(hours=1)  # failed invitation links are counted per chat this long


def share_url(text: str, url: str = " ") -> str:
    return f"https://t.me/share/url?url={quote(url)}&text={quote(text)}"


def fallback_rows(t: Catalog, *, invite: bool) -> list[list[InlineKeyboardButton]]:
    """Never a dead end: send a "can you call me?" to any contact, invite, crisis lines."""
    rows = [[InlineKeyboardButton(t.t("support.share_button"),
                                  url=share_url(t.t("support.share_text")))]]
    if invite:
        rows.append([button(t.t("support.buttons.invite"), cb("sup", "add"))])
    rows.append([button(t.t("support.buttons.crisis"), cb("safety", "lines"))])
    return rows


def fallback(t: Catalog, *, invite: bool) -> InlineKeyboardMarkup:
    return inline(fallback_rows(t, invite=invite))


def notice_text(t: Catalog, user: User | None, key: str, **kw: Any) -> str:
    """A notice the bot sends on its own: in discreet mode the first line is neutral."""
    text = t.t(key, **kw)
    if user is not None and user.discreet:
        head = discreet.first_line(t, user, key, **kw)
        return text if head == text else f"{head}\n{text}"
    return text


async def tell(app: App, chat_id: int, text: str, markup: Any = None) -> bool:
    """Send a notice; a chat that can't be reached never stops the caller."""
    try:
        await app.bot.send_message(chat_id, text, reply_markup=markup)
    except TelegramError as exc:
        log.warning("support notice not delivered: %s", type(exc).__name__)
        return False
    return True
