"""Typed ORM models. Times are aware UTC; free text is encrypted at rest."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import EncryptedJSON, EncryptedText, UTCDateTime


class Base(DeclarativeBase):
    pass


class User(Base):
    """A person who consented. Telegram user id; in a private chat it is also the chat id."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(2))
    discreet: Mapped[bool] = mapped_column(Boolean, default=False)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    onboarded: Mapped[bool] = mapped_column(Boolean, default=False)
    recovery_start: Mapped[date | None] = mapped_column(Date)
    # check-ins, milestones and goals (migration 0004_checkins). next_* are UTC due times,
    # NULL when nothing is due (off, or unreachable), so the tick's index scan stays short.
    checkin_time: Mapped[str] = mapped_column(String(5), default="09:00")
    checkins_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    next_checkin_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    paused_until: Mapped[date | None] = mapped_column(Date)
    last_checkin_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_checkin_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary_weekday: Mapped[int] = mapped_column(Integer, default=6)
    next_summary_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # support network (migration 0007_support): alerts say "asked you to check in" instead
    alert_neutral: Mapped[bool] = mapped_column(Boolean, default=False)
    # insights (migration 0007_insights): the weekly summary (with its chart) also for
    # people without goals, when they asked for it in /stats
    weekly_insights: Mapped[bool] = mapped_column(Boolean, default=False)


class PendingInput(Base):
    """What the bot is waiting for this person to type (survives restarts)."""

    __tablename__ = "pending_inputs"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Plan(Base):
    """An if-then plan: if <situation> then <action>."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    trigger: Mapped[str | None] = mapped_column(String(20))
    situation: Mapped[str] = mapped_column(EncryptedText)
    action: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Reason(Base):
    """A reason for recovery: text, or a photo kept by its Telegram file id."""

    __tablename__ = "reasons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str | None] = mapped_column(EncryptedText)
    photo_file_id: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CravingEpisode(Base):
    """One craving, from the first tap to its follow-up."""

    __tablename__ = "craving_episodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    intensity_start: Mapped[int | None] = mapped_column(Integer)
    intensity_end: Mapped[int | None] = mapped_column(Integer)
    trigger: Mapped[str | None] = mapped_column(String(20))
    plan_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("plans.id", ondelete="SET NULL")
    )
    tried: Mapped[list[str]] = mapped_column(JSON, default=list)
    helped: Mapped[str | None] = mapped_column(String(20))
    follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    follow_up_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_attempts: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str | None] = mapped_column(String(10))


class Meta(Base):
    """Small key/value facts about the database itself (e.g. the key check)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(EncryptedText)


class UseEvent(Base):
    """A day the person said they used. Kept next to the start date, never wiping it:
    streaks, totals and 'days of the last 30' are all derived from these rows."""

    __tablename__ = "use_events"
    __table_args__ = (UniqueConstraint("user_id", "day", name="uq_use_events_user_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[date] = mapped_column(Date)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(20))


# --- craving flow ---------------------------------------------------------------------------


class Distraction(Base):
    """Something this person likes to do to get their mind elsewhere."""

    __tablename__ = "distractions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- safety (issue 6) --------------------------------------------------------------------------
class Slip(Base):
    """A return to use the person told the bot about, and what they looked at afterwards.
    The day itself lives in use_events (recorded once per day); this row keeps the
    situation (trigger, time of day) and the one next step they chose."""

    __tablename__ = "slips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    day: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20))
    recorded: Mapped[bool] = mapped_column(Boolean, default=False)  # this slip added the day
    trigger: Mapped[str | None] = mapped_column(String(20))
    time_of_day: Mapped[str | None] = mapped_column(String(10))
    next_step: Mapped[str | None] = mapped_column(String(20))
    next_step_text: Mapped[str | None] = mapped_column(EncryptedText)


# --- check-ins, milestones and goals (issue 5; migration 0004_checkins) ---------------------
class Checkin(Base):
    """One daily check-in: sent by the tick (or started by the person), answered step by
    step on the same message. One per person and local date."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("user_id", "local_date", name="uq_checkins_user_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(12), default="scheduled")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    craving: Mapped[int | None] = mapped_column(Integer)
    mood: Mapped[int | None] = mapped_column(Integer)
    sleep: Mapped[str | None] = mapped_column(String(8))
    used: Mapped[bool | None] = mapped_column(Boolean)
    risk: Mapped[str | None] = mapped_column(String(20))
    # when the tick (re)tries sending a scheduled check-in: set while it is unsent (a lease
    # while a tick holds it), NULL once sent or given up (migration 0007_reliability)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Goal(Base):
    """A weekly goal: a name in the person's words (encrypted) and a count per week."""

    __tablename__ = "goals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(EncryptedText)
    target: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    celebrated_week: Mapped[date | None] = mapped_column(Date)


class GoalLog(Base):
    """One tap of progress on a goal, on a local date."""

    __tablename__ = "goal_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    goal_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("goals.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    local_date: Mapped[date] = mapped_column(Date)
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- support network (issue 4; migration 0007_support) -----------------------------------------
class Supporter(Base):
    """One link between a person and a support person, from invitation to acceptance.

    While invited, only a hash of the invitation token is kept; acceptance clears it, so a
    link can't be used twice. `supporter_chat_id` is set only when the supporter accepts.
    Ending the link from either side deletes the row."""

    __tablename__ = "supporters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(EncryptedText)
    role: Mapped[str] = mapped_column(String(12))
    phone: Mapped[str | None] = mapped_column(EncryptedText)
    person_name: Mapped[str] = mapped_column(EncryptedText)  # how the invitation names them
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="invited")  # invited | active
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_by: Mapped[int | None] = mapped_column(BigInteger)  # chat that opened the link
    supporter_chat_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)


class Alert(Base):
    """One tap on "Alert my support person". `escalate_at` is when the tick next acts:
    move on to the next supporter, or retry a send that did not go out."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open|answered|exhausted
    escalate_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class AlertDelivery(Base):
    """The alert as one supporter received it, and their one-tap answer."""

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("alerts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    supporter_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("supporters.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    answer: Mapped[str | None] = mapped_column(String(8))  # call | message | cant
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InviteAttempt(Base):
    """Failed invitation links per chat, so tokens can't be guessed by trying many."""

    __tablename__ = "invite_attempts"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
# --- insights (issue 9; migration 0007_insights) ---------------------------------------------
class InsightNudge(Base):
    """A check-in before this person's high-risk time ("Friday evenings have been hard"),
    one per person: offered from their own patterns, sent weekly by the tick once they
    said yes. `window_*` is the 3-hour window it was found for (local); `remind_*` when
    the reminder goes out (local); `next_at` the next UTC due time (NULL: nothing due)."""

    __tablename__ = "insight_nudges"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    window_weekday: Mapped[int] = mapped_column(Integer)
    window_hour: Mapped[int] = mapped_column(Integer)
    remind_weekday: Mapped[int] = mapped_column(Integer)
    remind_time: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(10))  # offered | on | declined | off
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- scale: webhook retries and replicas (issue 7; migration 0007_scale) --------------------
class ProcessedUpdate(Base):
    """A Telegram update_id some process has taken on, so a retried delivery (to this or
    another replica) is skipped. Pruned by age in the tick."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class UserLease(Base):
    """Which process is handling this person's update right now (PostgreSQL replicas):
    one person's updates run one at a time across processes. Expires if a process dies."""

    __tablename__ = "user_leases"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    holder: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
