"""Prometheus metrics, one registry per Application (served at /metrics in webhook mode).

Nothing here carries a person: no user ids, texts or chat ids as labels, only counts.
The due-work backlog is counted from the database when /metrics is scraped, so it is the
same on every replica and costs nothing between scrapes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import Select, func, select

from storage.db import Database
from storage.models import Alert, CravingEpisode, InsightNudge, User

KEY = "metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Due rows per kind of scheduled work: the same conditions the tick's claims use.
BacklogQuery = Callable[[datetime], Select[tuple[int]]]
BACKLOG: dict[str, BacklogQuery] = {
    "checkins": lambda now: select(func.count()).select_from(User)
    .where(User.next_checkin_at <= now),
    "follow_ups": lambda now: select(func.count()).select_from(CravingEpisode)
    .where(CravingEpisode.follow_up_at <= now, CravingEpisode.ended_at.is_(None),
           CravingEpisode.follow_up_sent_at.is_(None)),
    "summaries": lambda now: select(func.count()).select_from(User)
    .where(User.next_summary_at <= now),
    "escalations": lambda now: select(func.count()).select_from(Alert)
    .where(Alert.escalate_at <= now, Alert.status == "open"),
    "nudges": lambda now: select(func.count()).select_from(InsightNudge)
    .where(InsightNudge.next_at <= now),
}


def update_kind(update: object) -> str:
    for kind in ("message", "callback_query", "my_chat_member", "edited_message"):
        if getattr(update, kind, None) is not None:
            return kind
    return "other"


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.updates = Counter("companion_updates_handled", "Updates handled, by kind",
                               ["kind"], registry=r)
        self.duplicates = Counter("companion_updates_duplicate",
                                  "Updates skipped because that update_id was already taken "
                                  "on (a webhook retry)", registry=r)
        self.handler_seconds = Histogram(
            "companion_handler_seconds", "Time to handle one update, sends included",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0), registry=r)
        self.sent = Counter("companion_messages_sent", "Calls to Telegram with a chat, by lane",
                            ["lane"], registry=r)
        self.retry_after = Counter("companion_retry_after",
                                   "Times Telegram asked to slow down (RetryAfter)", registry=r)
        self.backlog = Gauge("companion_due_backlog", "Scheduled work that is due now, by kind",
                             ["kind"], registry=r)
        self.webhook_rejected = Counter("companion_webhook_rejected",
                                        "Webhook requests refused, by reason", ["reason"],
                                        registry=r)

    async def refresh_backlog(self, db: Database, now: datetime) -> None:
        async with db.session() as session:
            for kind, query in BACKLOG.items():
                self.backlog.labels(kind).set(int(await session.scalar(query(now)) or 0))

    def render(self) -> bytes:
        return generate_latest(self.registry)


def of(app: Any) -> Metrics | None:
    return app.bot_data.get(KEY)  # type: ignore[no-any-return]
