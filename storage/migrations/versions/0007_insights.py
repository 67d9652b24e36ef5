"""Insights: the weekly summary on request in /stats, and check-ins before a person's
high-risk time.

Revision ID: 0007_insights
Revises: 0006_merge_features
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_insights"
down_revision = "0006_merge_features"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("weekly_insights", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "insight_nudges",
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True, autoincrement=False),
        sa.Column("window_weekday", sa.Integer(), nullable=False),
        sa.Column("window_hour", sa.Integer(), nullable=False),
        sa.Column("remind_weekday", sa.Integer(), nullable=False),
        sa.Column("remind_time", sa.String(5), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("offered_at", TS, nullable=False),
        sa.Column("answered_at", TS),
        sa.Column("next_at", TS),
        sa.Column("last_sent_at", TS),
    )
    op.create_index("ix_insight_nudges_next_at", "insight_nudges", ["next_at"])


def downgrade() -> None:
    op.drop_index("ix_insight_nudges_next_at", table_name="insight_nudges")
    op.drop_table("insight_nudges")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("weekly_insights")
