"""safety: screening, clearance holds, the readiness check, the pain-monitoring model

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Screenings (issue 12); a class may require one (existing classes: not, so nothing
    changes for them); a booking may wait for the trainer's clearance, and carries the
    readiness answer of its day; a check-in carries the exercise pain and the next morning's."""
    op.create_table(
        "screenings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cleared_by", sa.BigInteger(), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_screenings_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["cleared_by"],
            ["users.id"],
            name=op.f("fk_screenings_cleared_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screenings")),
    )
    with op.batch_alter_table("screenings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screenings_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("class_series", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("requires_screening", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("clearance_held_since", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("readiness_flag", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("readiness_pain", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("readiness_new", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("readiness_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_bookings_clearance_held_since"), ["clearance_held_since"], unique=False
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("readiness_check", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exercise_pain", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("morning_pain", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("morning_worse", sa.Boolean(), nullable=True))


def downgrade() -> None:
    """Drop them all (screenings and readiness answers are lost)."""
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_column("morning_worse")
        batch_op.drop_column("morning_pain")
        batch_op.drop_column("exercise_pain")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("readiness_check")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bookings_clearance_held_since"))
        batch_op.drop_column("readiness_at")
        batch_op.drop_column("readiness_new")
        batch_op.drop_column("readiness_pain")
        batch_op.drop_column("readiness_flag")
        batch_op.drop_column("clearance_held_since")
    with op.batch_alter_table("class_series", schema=None) as batch_op:
        batch_op.drop_column("requires_screening")
    with op.batch_alter_table("screenings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screenings_user_id"))
    op.drop_table("screenings")
