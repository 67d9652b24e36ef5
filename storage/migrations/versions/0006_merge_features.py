"""Join the craving, check-in and safety branches into one history again.

Revision ID: 0006_merge_features
Revises: 0003_craving, 0004_checkins, 0005_safety
Create Date: 2026-11-26
"""
from __future__ import annotations

revision = "0006_merge_features"
down_revision = ("0003_craving", "0004_checkins", "0005_safety")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
