"""Scheduled check-ins are delivered at least once: an unsent check-in keeps a retry time.

Revision ID: 0007_reliability
Revises: 0006_merge_features
Create Date: 2026-11-27
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_reliability"
down_revision = "0006_merge_features"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checkins") as batch:
        batch.add_column(sa.Column("retry_at", sa.DateTime(timezone=True)))
    op.create_index("ix_checkins_retry_at", "checkins", ["retry_at"])


def downgrade() -> None:
    op.drop_index("ix_checkins_retry_at", table_name="checkins")
    with op.batch_alter_table("checkins") as batch:
        batch.drop_column("retry_at")
