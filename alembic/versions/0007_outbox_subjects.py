"""outbox subjects

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Who each queued or sent message names besides its reader, so erasure can reach it."""
    op.create_table(
        "outbox_subjects",
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbox.id"],
            name=op.f("fk_outbox_subjects_message_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_outbox_subjects_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", "user_id", name=op.f("pk_outbox_subjects")),
    )
    with op.batch_alter_table("outbox_subjects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_subjects_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    """Drop the links (the messages stay)."""
    with op.batch_alter_table("outbox_subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_subjects_user_id"))
    op.drop_table("outbox_subjects")
