"""Ending every link of someone who deletes their data: called by /delete inside its
transaction, before any row is erased, so the people on the other side can be told."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from storage.repositories import supporters


@dataclass
class LinkEnded:
    chat_id: int
    key: str  # what to tell them
    name: str  # the name they know the leaver by


async def end_links_of(session: AsyncSession, tg_id: int) -> list[LinkEnded]:
    """Erase the links where this person is the support person (their own supporters go
    with their rows) and say whom to tell what."""
    own, giving = await supporters.links_of(session, tg_id)
    notices = [LinkEnded(r.supporter_chat_id, "privacy.supporter_link_ended", r.person_name)
               for r in own if r.supporter_chat_id is not None]
    notices += [LinkEnded(r.user_id, "support.told_stopped", r.name) for r in giving]
    await supporters.end_support_given(session, tg_id)
    return notices
