"""Join the support-network and insights branches into one history again.

Revision ID: 0008_merge_support_insights
Revises: 0007_support, 0007_insights
Create Date: 2026-11-27
"""
from __future__ import annotations

revision = "0008_merge_support_insights"
down_revision = ("0007_support", "0007_insights")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
