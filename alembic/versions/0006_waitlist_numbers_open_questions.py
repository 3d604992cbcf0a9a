"""waitlist numbers, open questions

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Flows whose answers used to be the whole `users.draft`, by the prefix of `awaiting_input`.
_FLOWS = ("newclass", "addtip")


def upgrade() -> None:
    """Waitlist order by a number handed out under the session's lock; when a typed question
    was asked; and one draft entry per flow."""
    with op.batch_alter_table("class_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("waitlist_counter", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waitlist_number", sa.Integer(), nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("awaiting_since", sa.DateTime(timezone=True), nullable=True))

    connection = op.get_bind()
    # Today's waitlists keep their order: numbered by the old (time, id) order per session.
    waiting = connection.execute(
        sa.text(
            "SELECT id, session_id FROM bookings WHERE state = 'waitlisted' "
            "ORDER BY session_id, waitlisted_at, id"
        )
    ).all()
    counters: dict[int, int] = {}
    for booking_id, session_id in waiting:
        counters[session_id] = counters.get(session_id, 0) + 1
        connection.execute(
            sa.text("UPDATE bookings SET waitlist_number = :n WHERE id = :id"),
            {"n": counters[session_id], "id": booking_id},
        )
    for session_id, last in counters.items():
        connection.execute(
            sa.text("UPDATE class_sessions SET waitlist_counter = :n WHERE id = :id"),
            {"n": last, "id": session_id},
        )
    # A draft kept whole for /newclass or /addtip becomes that flow's entry, at its question.
    rows = connection.execute(
        sa.text("SELECT id, awaiting_input, draft FROM users WHERE draft IS NOT NULL")
    ).all()
    for user_id, awaiting, draft in rows:
        value = json.loads(draft) if isinstance(draft, str) else draft
        flow, _, step = (awaiting or "").partition(":")
        if not isinstance(value, dict) or flow not in _FLOWS:
            continue
        value = {flow: {**value, "_step": step}}
        connection.execute(
            sa.text("UPDATE users SET draft = :draft WHERE id = :id").bindparams(
                sa.bindparam("draft", type_=sa.JSON())
            ),
            {"draft": value, "id": user_id},
        )


def downgrade() -> None:
    """Drop the columns (waitlists fall back to their time order)."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("awaiting_since")
    with op.batch_alter_table("bookings", schema=None) as batch_op:
        batch_op.drop_column("waitlist_number")
    with op.batch_alter_table("class_sessions", schema=None) as batch_op:
        batch_op.drop_column("waitlist_counter")
