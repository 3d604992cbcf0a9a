"""community

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Check-ins, milestones and buddy pairs; users' check-in, sharing and buddy choices."""
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("mood", sa.SmallInteger(), nullable=False),
        sa.Column("energy", sa.SmallInteger(), nullable=False),
        sa.Column("pain", sa.SmallInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("prompt", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("energy BETWEEN 1 AND 5", name=op.f("ck_checkins_energy")),
        sa.CheckConstraint("mood BETWEEN 1 AND 5", name=op.f("ck_checkins_mood")),
        sa.CheckConstraint("pain BETWEEN 0 AND 10", name=op.f("ck_checkins_pain")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_checkins_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
        sa.UniqueConstraint("user_id", "day", name="uq_checkins_user_day"),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkins_user_id"), ["user_id"], unique=False)

    op.create_table(
        "milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_milestones_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_milestones")),
        sa.UniqueConstraint("user_id", "kind", name="uq_milestones_user_kind"),
    )
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_milestones_user_id"), ["user_id"], unique=False)

    op.create_table(
        "buddy_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["class_series.id"],
            name=op.f("fk_buddy_pairs_series_id_class_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buddy_pairs")),
    )
    with op.batch_alter_table("buddy_pairs", schema=None) as batch_op:
        batch_op.create_index("ix_buddy_pairs_series_week", ["series_id", "week"], unique=False)

    op.create_table(
        "buddy_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["pair_id"],
            ["buddy_pairs.id"],
            name=op.f("fk_buddy_members_pair_id_buddy_pairs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_buddy_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buddy_members")),
        sa.UniqueConstraint("pair_id", "user_id", name="uq_buddy_members"),
    )
    with op.batch_alter_table("buddy_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_buddy_members_pair_id"), ["pair_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_buddy_members_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "trainer_sees_checkins", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("checkin_weekday", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("checkin_hour", sa.SmallInteger(), server_default="9", nullable=False)
        )
        batch_op.add_column(
            sa.Column("share_milestones", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("buddy_opt_in", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    """Drop what upgrade() added."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("buddy_opt_in")
        batch_op.drop_column("share_milestones")
        batch_op.drop_column("checkin_hour")
        batch_op.drop_column("checkin_weekday")
        batch_op.drop_column("trainer_sees_checkins")

    with op.batch_alter_table("buddy_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_buddy_members_user_id"))
        batch_op.drop_index(batch_op.f("ix_buddy_members_pair_id"))

    op.drop_table("buddy_members")
    with op.batch_alter_table("buddy_pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_buddy_pairs_series_week")

    op.drop_table("buddy_pairs")
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestones_user_id"))

    op.drop_table("milestones")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkins_user_id"))

    op.drop_table("checkins")
