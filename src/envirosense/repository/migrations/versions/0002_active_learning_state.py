"""Active-learning run state: runs, cycles with their last completed step, weak spots, suggestions.

Revision ID: 0002_active_learning_state
Revises: 0001_scenario_definitions
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_active_learning_state"
down_revision = "0001_scenario_definitions"
branch_labels = None
depends_on = None

SCHEMA = "simulation"


def upgrade() -> None:
    stamp = sa.DateTime(timezone=True)
    op.create_table(
        "al_runs",
        sa.Column("run_id", sa.Text(), primary_key=True),
        sa.Column("strategy", sa.Text(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("champion_version", sa.Text(), nullable=True),
        sa.Column("created_utc", stamp, nullable=False),
        sa.Column("updated_utc", stamp, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "al_cycles",
        sa.Column("run_id", sa.Text(), sa.ForeignKey(f"{SCHEMA}.al_runs.run_id"), primary_key=True),
        sa.Column("cycle_index", sa.Integer(), primary_key=True),
        sa.Column("step", sa.Text(), nullable=False),
        sa.Column("outputs", sa.JSON(), nullable=False),
        sa.Column("updated_utc", stamp, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "al_weak_spots",
        sa.Column("run_id", sa.Text(), sa.ForeignKey(f"{SCHEMA}.al_runs.run_id"), primary_key=True),
        sa.Column("weak_spot_id", sa.Text(), primary_key=True),
        sa.Column("cycle_index", sa.Integer(), nullable=False),
        sa.Column("weak_spot_type", sa.Text(), nullable=False),
        sa.Column("sensor_id", sa.Text(), nullable=True),
        sa.Column("strategy", sa.Text(), nullable=True),
        sa.Column("utility", sa.Float(), nullable=True),
        sa.Column("spot", sa.JSON(), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "al_suggestions",
        sa.Column("suggestion_id", sa.Text(), primary_key=True),
        sa.Column("run_id", sa.Text(), sa.ForeignKey(f"{SCHEMA}.al_runs.run_id"), nullable=False),
        sa.Column("cycle_index", sa.Integer(), nullable=False),
        sa.Column("weak_spot_id", sa.Text(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("updated_utc", stamp, nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_al_suggestions_run_cycle", "al_suggestions", ["run_id", "cycle_index"], schema=SCHEMA)
    op.create_index("ix_al_weak_spots_run_cycle", "al_weak_spots", ["run_id", "cycle_index"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_table("al_suggestions", schema=SCHEMA)
    op.drop_table("al_weak_spots", schema=SCHEMA)
    op.drop_table("al_cycles", schema=SCHEMA)
    op.drop_table("al_runs", schema=SCHEMA)
