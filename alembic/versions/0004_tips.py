"""tips

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Tips: deliveries, feedback, trainers' tips, moments; tip and quiet-hour choices and
    the onboarding time for users; links between groups and class series."""
    op.create_table(
        "tip_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("tip_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("slot", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_tip_deliveries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tip_deliveries")),
        sa.UniqueConstraint("user_id", "slot", name="uq_tip_deliveries_user_slot"),
    )
    with op.batch_alter_table("tip_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tip_deliveries_tip_id"), ["tip_id"], unique=False)
        batch_op.create_index("ix_tip_deliveries_user_cycle", ["user_id", "cycle"], unique=False)

    op.create_table(
        "tip_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("tip_id", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_tip_feedback_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tip_feedback")),
        sa.UniqueConstraint("user_id", "tip_id", name="uq_tip_feedback_user_tip"),
    )
    with op.batch_alter_table("tip_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tip_feedback_tip_id"), ["tip_id"], unique=False)

    op.create_table(
        "tip_moments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("moment", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_tip_moments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tip_moments")),
        sa.UniqueConstraint("user_id", "moment", "due_on", name="uq_tip_moments"),
    )
    with op.batch_alter_table("tip_moments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tip_moments_user_id"), ["user_id"], unique=False)

    op.create_table(
        "trainer_tips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trainer_id", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source_url", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["trainer_id"],
            ["users.id"],
            name=op.f("fk_trainer_tips_trainer_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trainer_tips")),
    )
    with op.batch_alter_table("trainer_tips", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trainer_tips_trainer_id"), ["trainer_id"], unique=False
        )

    op.create_table(
        "group_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("linked_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_group_links_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by"], ["users.id"], name=op.f("fk_group_links_linked_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["class_series.id"],
            name=op.f("fk_group_links_series_id_class_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_links")),
        sa.UniqueConstraint("group_id", "series_id", name="uq_group_links"),
    )
    with op.batch_alter_table("group_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_links_group_id"), ["group_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_group_links_series_id"), ["series_id"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("onboarded_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                "tip_frequency", sa.String(length=16), server_default="weekly", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("tip_hour", sa.SmallInteger(), server_default="10", nullable=False)
        )
        batch_op.add_column(
            sa.Column("quiet_start", sa.SmallInteger(), server_default="21", nullable=False)
        )
        batch_op.add_column(
            sa.Column("quiet_end", sa.SmallInteger(), server_default="8", nullable=False)
        )
    # People who finished onboarding before tips existed count as onboarded when they joined.
    op.execute("UPDATE users SET onboarded_at = created_at WHERE onboarding_step = 'done'")


def downgrade() -> None:
    """Drop what upgrade() added."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("quiet_end")
        batch_op.drop_column("quiet_start")
        batch_op.drop_column("tip_hour")
        batch_op.drop_column("tip_frequency")
        batch_op.drop_column("onboarded_at")

    with op.batch_alter_table("group_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_links_series_id"))
        batch_op.drop_index(batch_op.f("ix_group_links_group_id"))

    op.drop_table("group_links")
    with op.batch_alter_table("trainer_tips", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trainer_tips_trainer_id"))

    op.drop_table("trainer_tips")
    with op.batch_alter_table("tip_moments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tip_moments_user_id"))

    op.drop_table("tip_moments")
    with op.batch_alter_table("tip_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tip_feedback_tip_id"))

    op.drop_table("tip_feedback")
    with op.batch_alter_table("tip_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_tip_deliveries_user_cycle")
        batch_op.drop_index(batch_op.f("ix_tip_deliveries_tip_id"))

    op.drop_table("tip_deliveries")
