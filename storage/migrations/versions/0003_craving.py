"""Craving flow: own distractions; follow-up delivery attempts and entry point per episode.

Revision ID: 0003_craving
Revises: 0002_use_events
Create Date: 2026-11-26
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_craving"
down_revision = "0002_use_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "distractions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.BigInteger(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("craving_episodes") as batch:
        batch.add_column(sa.Column("follow_up_attempts", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("source", sa.String(10)))


def downgrade() -> None:
    with op.batch_alter_table("craving_episodes") as batch:
        batch.drop_column("source")
        batch.drop_column("follow_up_attempts")
    op.drop_table("distractions")
