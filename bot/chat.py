"""`craving-companion chat`: the real bot in this terminal, with no token and no network.

The same Application runs in process against the fake Bot API transport and a local
SQLite file. Bot messages are printed with lettered buttons; type text, a /command,
a button's letter (a, b, …), a button's exact label (e.g. 8 on a 0-10 scale), or a
keyboard key (k1, k2, …).
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.app import build_application
from bot.config import Settings
from bot.fake_api import EDIT_METHODS, SEND_METHODS, Call, FakeBotApi, FakeRequest
from bot.local_driver import Button, Person

FAKE_TOKEN = "1000000:local-console-chat-not-a-real-token"
_TAG = re.compile(r"<[^>]+>")


def _bare(label: str) -> str:
    """A label without emoji and punctuation, for matching what a person types."""
    return " ".join(re.sub(r"[^\w\s]", " ", label).split()).casefold()


def letters(index: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa, …"""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(ord("a") + rem) + out
    return out


def plain(text: str) -> str:
    return html.unescape(_TAG.sub("", text))


class ConsoleChat:
    def __init__(self, api: FakeBotApi, person: Person, out: Any = sys.stdout) -> None:
        self.api, self.person, self.out = api, person, out
        self.others: dict[int, str] = {}  # chats the console played before, by id
        self.numbered: list[Button] = []
        self.keyboard: list[str] = []
        api.listeners.append(self.on_call)

    def on_call(self, call: Call) -> None:
        chat = call.params.get("chat_id")
        if chat is None or not isinstance(call.result, dict):
            return
        if call.method not in SEND_METHODS and call.method not in EDIT_METHODS:
            return
        if int(chat) != self.person.user_id:
            self._elsewhere(int(chat), call)
            return
        msg = call.result
        prefix = "bot (edited)> " if call.method in EDIT_METHODS else "bot> "
        body = msg.get("text") or msg.get("caption") or ""
        if "photo" in msg:
            body = f"[photo: {self.save_photo(msg)}] {body}"
        elif call.method == "sendDocument":
            body = f"[file {msg.get('document', {}).get('file_name', '')}] {body}"
        elif call.method == "sendContact":
            card = f"{call.params.get('first_name')} {call.params.get('phone_number')}"
            body = f"[contact card: {card}]"
        print(prefix + plain(str(body)).replace("\n", "\n     "), file=self.out)
        buttons = iter(self.person.buttons(msg))
        for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []):
            shown = []
            for _ in row:
                button = next(buttons)
                self.numbered.append(button)
                where = f" -> {button.url}" if button.url else ""
                shown.append(f"[{letters(len(self.numbered) - 1)}] {button.label}{where}")
            print("     " + "   ".join(shown), file=self.out)
        keyboard = self.person.keyboard()
        if keyboard != self.keyboard:
            self.keyboard = keyboard
            if keyboard:
                keys = "  ".join(f"[k{i}] {label}" for i, label in enumerate(keyboard, 1))
                print(f"     keyboard: {keys}", file=self.out)
        self.out.flush()

    def _elsewhere(self, chat: int, call: Call) -> None:
        """A message to another chat (a support person): shown, tappable after /as."""
        msg = call.result
        name = self.others.get(chat, str(chat))
        body = plain(str(msg.get("text") or msg.get("caption") or f"[{call.method}]"))
        print(f"bot -> {name} ({chat})> " + body.replace("\n", "\n     "), file=self.out)
        labels = [b["text"] for row in (msg.get("reply_markup") or {}).get("inline_keyboard", [])
                  for b in row]
        if labels:
            print("     " + "   ".join(f"[{label}]" for label in labels), file=self.out)
        self.out.flush()

    def switch(self, line: str) -> None:
        """`/as 2002 Sam`: type as someone else, e.g. a support person opening a link."""
        parts = line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            print("     (use: /as <number> [first name], e.g. /as 2002 Sam)", file=self.out)
            return
        self.others[self.person.user_id] = self.person.first_name
        user_id = int(parts[1])
        name = " ".join(parts[2:]) or self.others.get(user_id, f"Person {user_id}")
        self.person = Person(self.person.app, self.api, user_id, name)
        self.numbered, self.keyboard = [], []
        print(f"     (you are now {name}, chat {user_id})", file=self.out)
    def save_photo(self, msg: dict[str, Any]) -> str:
        """Write a photo the bot uploaded (a chart) to a temporary file; its path, to open
        in an image viewer. A photo sent by file id has no bytes here."""
        upload = msg.get("_params", {}).get("photo")
        content = upload.get("content") if isinstance(upload, dict) else None
        if not content:
            return "sent by file id"
        folder = Path(tempfile.gettempdir()) / "craving-companion-chat"
        folder.mkdir(exist_ok=True)
        path = folder / f"chat{self.person.user_id}-message{msg['message_id']}.png"
        path.write_bytes(content)
        return f"saved to {path}"

    async def handle(self, line: str) -> bool:
        """Act on one typed line; False when the person wants to quit."""
        line = line.strip()
        if line in ("/quit", "/exit"):
            return False
        if not line:
            return True
        if line.startswith("/as ") or line == "/as":
            self.switch(line)
            return True
        buttons, self.numbered = self.numbered, []
        by_letter = {letters(i): b for i, b in enumerate(buttons)}
        # a typed label taps the newest button with it, on any message still on screen
        by_label = {_bare(b.label): b for b in reversed(self.person.buttons())
                    if b.callback_data}
        by_label.update({_bare(b.label): b for b in reversed(buttons)})
        chosen = by_letter.get(line.casefold()) or by_label.get(_bare(line))
        if chosen is not None:
            if chosen.callback_data and chosen.message is not None:
                await self.person.press(chosen.callback_data, chosen.message)
            else:
                print(f"     (that button opens {chosen.url})", file=self.out)
                self.numbered = buttons
            return True
        if re.fullmatch(r"k\d+", line) and 1 <= int(line[1:]) <= len(self.keyboard):
            await self.person.send(self.keyboard[int(line[1:]) - 1])
            return True
        await self.person.send(line)
        return True


async def run_chat(settings: Settings, user_id: int) -> None:
    api = FakeBotApi()
    app = build_application(settings, FAKE_TOKEN, request=FakeRequest(api))
    services = app.bot_data["services"]
    await services.db.migrate()
    person = Person(app, api, user_id)
    console = ConsoleChat(api, person)
    print("Craving Companion, local chat. Nothing leaves this computer.\n"
          "Type a message or /start. A letter (a, b, …) or a button's label taps it;\n"
          "k1, k2, … tap the keyboard; /as 2002 Sam types as someone else (a support\n"
          "person opening your invitation link); /quit ends.\n")
    async with app:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        try:
            while True:
                try:
                    line = await asyncio.to_thread(input, "you> ")
                except EOFError:
                    break
                if not await console.handle(line):
                    break
                await asyncio.sleep(0)
        finally:
            await app.stop()
            await services.db.dispose()
