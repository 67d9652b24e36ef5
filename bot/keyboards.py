"""Buttons and callback data. Data is `feature:action[:arg...]`, at most 64 bytes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from content import Catalog

MAX_CALLBACK_BYTES = 64


def cb(feature: str, action: str, *args: object) -> str:
    data = ":".join([feature, action, *(str(a) for a in args)])
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError("callback data longer than 64 bytes")
    return data


def parse(data: str | None, feature: str) -> tuple[str, list[str]] | None:
    """(action, args) when `data` belongs to `feature`, else None."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    parts = data.split(":")
    if len(parts) < 2 or parts[0] != feature or not parts[1]:
        return None
    return parts[1], parts[2:]


def int_arg(args: Sequence[str], index: int = 0) -> int | None:
    """A small non-negative integer argument, or None for anything forged."""
    if index >= len(args) or not args[index].isdigit() or len(args[index]) > 12:
        return None
    return int(args[index])


def button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data)


Key = dict[str, str]  # a callback button as the Bot API's JSON


def key(label: str, data: str) -> Key:
    """A button as plain data. Building a PTB button costs ~25 µs; the check-in fan-out
    sends eleven a message, thousands of messages a minute, as JSON (`keyboard_json`)."""
    return {"text": label, "callback_data": data}


Row = Sequence[InlineKeyboardButton | Key]


def inline(rows: Sequence[Row]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[b if isinstance(b, InlineKeyboardButton)
                                  else InlineKeyboardButton(**b) for b in r] for r in rows])


def keyboard_json(rows: Sequence[Row]) -> dict[str, Any]:
    """The inline keyboard as the Bot API's JSON, for the lean send path (sender.payload)."""
    out: list[list[dict[str, Any]]] = []
    for r in rows:
        line: list[dict[str, Any]] = []
        for b in r:
            line.append(b if isinstance(b, dict) else b.to_dict())
        out.append(line)
    return {"inline_keyboard": out}


def main_menu(t: Catalog) -> ReplyKeyboardMarkup:
    """The keyboard under the input field once onboarding is done."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t.t("menu.craving"))],
         [KeyboardButton(t.t("menu.plans")), KeyboardButton(t.t("menu.reasons"))],
         [KeyboardButton(t.t("menu.breathe")), KeyboardButton(t.t("menu.help"))]],
        resize_keyboard=True, is_persistent=True,
    )


def scale(feature: str, action: str, *args: object, low: int = 0, high: int = 10,
          ) -> list[list[InlineKeyboardButton | Key]]:
    """A 0-10 row of one-tap numbers (two rows, big enough for a shaky thumb)."""
    nums: list[InlineKeyboardButton | Key] = [key(str(n), cb(feature, action, *args, n))
                                              for n in range(low, high + 1)]
    return [nums[:6], nums[6:]]
