"""trainer tip language

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """The language a trainer wrote their own tip in: it goes to clients reading that
    language only. Tips written before the bot spoke other languages are English."""
    with op.batch_alter_table("trainer_tips", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=16), server_default="en", nullable=False)
        )


def downgrade() -> None:
    """Drop it (every trainer tip goes to all of the trainer's clients again)."""
    with op.batch_alter_table("trainer_tips", schema=None) as batch_op:
        batch_op.drop_column("language")
