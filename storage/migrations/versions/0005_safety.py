"""Slips: the situation and next step a person looked at after a return to use.

Revision ID: 0005_safety
Revises: 0002_use_events
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_safety"
down_revision = "0002_use_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slips",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("recorded", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("trigger", sa.String(20)),
        sa.Column("time_of_day", sa.String(10)),
        sa.Column("next_step", sa.String(20)),
        sa.Column("next_step_text", sa.Text()),
    )


def downgrade() -> None:
    op.drop_table("slips")
