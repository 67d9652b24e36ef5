"""Join the scale and reliability branches with the rest into one history again.

Revision ID: 0009_merge_scale_reliability
Revises: 0008_merge_support_insights, 0007_scale, 0007_reliability
Create Date: 2026-11-27
"""
from __future__ import annotations

revision = "0009_merge_scale_reliability"
down_revision = ("0008_merge_support_insights", "0007_scale", "0007_reliability")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
