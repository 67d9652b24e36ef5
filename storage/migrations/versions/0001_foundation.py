"""Foundation: users with consent, pending input, plans, reasons, craving episodes.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("consented_at", TS, nullable=False),
        sa.Column("locale", sa.String(8), nullable=False, server_default="en"),
        sa.Column("timezone", sa.String(64)),
        sa.Column("country", sa.String(2)),
        sa.Column("discreet", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("unreachable", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("onboarded", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("recovery_start", sa.Date()),
    )
    op.create_table(
        "pending_inputs",
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("trigger", sa.String(20)),
        sa.Column("situation", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "reasons",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("text", sa.Text()),
        sa.Column("photo_file_id", sa.Text()),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "craving_episodes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("ended_at", TS),
        sa.Column("intensity_start", sa.Integer()),
        sa.Column("intensity_end", sa.Integer()),
        sa.Column("trigger", sa.String(20)),
        sa.Column("plan_id", sa.Integer(), sa.ForeignKey("plans.id", ondelete="SET NULL")),
        sa.Column("tried", sa.JSON(), nullable=False),
        sa.Column("helped", sa.String(20)),
        sa.Column("follow_up_at", TS, index=True),
        sa.Column("follow_up_sent_at", TS),
    )
    op.create_table(
        "meta",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    for table in ("meta", "craving_episodes", "reasons", "plans", "pending_inputs", "users"):
        op.drop_table(table)
