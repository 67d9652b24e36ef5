"""Daily check-ins, milestones and weekly goals on the database-driven scheduler.

Revision ID: 0004_checkins
Revises: 0002_use_events
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_checkins"
down_revision = "0002_use_events"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("checkin_time", sa.String(5), nullable=False,
                                   server_default="09:00"))
        batch.add_column(sa.Column("checkins_enabled", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column("next_checkin_at", TS))
        batch.add_column(sa.Column("paused_until", sa.Date()))
        batch.add_column(sa.Column("last_checkin_at", TS))
        batch.add_column(sa.Column("last_checkin_answered_at", TS))
        batch.add_column(sa.Column("summary_weekday", sa.Integer(), nullable=False,
                                   server_default="6"))
        batch.add_column(sa.Column("next_summary_at", TS))
    op.create_index("ix_users_next_checkin_at", "users", ["next_checkin_at"])
    op.create_index("ix_users_next_summary_at", "users", ["next_summary_at"])
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("source", sa.String(12), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("sent_at", TS),
        sa.Column("message_id", sa.BigInteger()),
        sa.Column("answered_at", TS),
        sa.Column("completed_at", TS),
        sa.Column("craving", sa.Integer()),
        sa.Column("mood", sa.Integer()),
        sa.Column("sleep", sa.String(8)),
        sa.Column("used", sa.Boolean()),
        sa.Column("risk", sa.String(20)),
        sa.UniqueConstraint("user_id", "local_date", name="uq_checkins_user_date"),
    )
    op.create_table(
        "goals",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("celebrated_week", sa.Date()),
    )
    op.create_table(
        "goal_logs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("goal_id", sa.Integer(), sa.ForeignKey("goals.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("logged_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("goal_logs")
    op.drop_table("goals")
    op.drop_table("checkins")
    op.drop_index("ix_users_next_summary_at", table_name="users")
    op.drop_index("ix_users_next_checkin_at", table_name="users")
    with op.batch_alter_table("users") as batch:
        for column in ("next_summary_at", "summary_weekday", "last_checkin_answered_at",
                       "last_checkin_at", "paused_until", "next_checkin_at", "checkins_enabled",
                       "checkin_time"):
            batch.drop_column(column)
