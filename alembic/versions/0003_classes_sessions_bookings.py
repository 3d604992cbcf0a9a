"""classes sessions bookings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add class series, sessions, bookings and job marks; reminder choices and drafts for
    users; topics and expiry for outbox messages."""
    op.create_table(
        "job_marks",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("reached", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_marks")),
    )
    op.create_table(
        "class_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trainer_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("weekdays", sa.String(length=13), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("first_date", sa.Date(), nullable=False),
        sa.Column("last_date", sa.Date(), nullable=True),
        sa.Column("late_cancel_minutes", sa.Integer(), nullable=False),
        sa.Column("promotion_cutoff_minutes", sa.Integer(), nullable=False),
        sa.Column("generated_until", sa.Date(), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity BETWEEN 1 AND 500", name=op.f("ck_class_series_capacity")),
        sa.ForeignKeyConstraint(
            ["trainer_id"], ["users.id"], name=op.f("fk_class_series_trainer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_class_series")),
    )
    with op.batch_alter_table("class_series", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_class_series_trainer_id"), ["trainer_id"], unique=False
        )

    op.create_table(
        "class_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("booked_count", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("scheduled", "cancelled", name="sessionstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "booked_count >= 0 AND booked_count <= capacity AND capacity BETWEEN 1 AND 500",
            name=op.f("ck_class_sessions_capacity"),
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["class_series.id"],
            name=op.f("fk_class_sessions_series_id_class_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_class_sessions")),
        sa.UniqueConstraint("series_id", "local_date", name="uq_class_sessions_series_date"),
    )
    with op.batch_alter_table("class_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_class_sessions_starts_at"), ["starts_at"], unique=False
        )

    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "confirmed",
                "waitlisted",
                "cancelled",
                name="bookingstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("waitlisted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("late_cancel", sa.Boolean(), nullable=False),
        sa.Column(
            "attendance",
            sa.Enum("attended", "no_show", name="attendance", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("attendance_marked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["class_sessions.id"],
            name=op.f("fk_bookings_session_id_class_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_bookings_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("session_id", "user_id", name="uq_bookings_session_user"),
    )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.create_index("ix_bookings_session_state", ["session_id", "state"], unique=False)
        batch_op.create_index("ix_bookings_user_state", ["user_id", "state"], unique=False)

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topic", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_topic"), ["topic"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reminder_mask", sa.Integer(), server_default="10", nullable=False)
        )
        batch_op.add_column(sa.Column("draft", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop what upgrade() added."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("draft")
        batch_op.drop_column("reminder_mask")

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_topic"))
        batch_op.drop_column("expires_at")
        batch_op.drop_column("topic")

    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_index("ix_bookings_user_state")
        batch_op.drop_index("ix_bookings_session_state")

    op.drop_table("bookings")
    with op.batch_alter_table("class_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_class_sessions_starts_at"))

    op.drop_table("class_sessions")
    with op.batch_alter_table("class_series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_class_series_trainer_id"))

    op.drop_table("class_series")
    op.drop_table("job_marks")
