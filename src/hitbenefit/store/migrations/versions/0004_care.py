"""The supplier's day: plan-of-care details, visits, remote-monitoring readings and alerts.

Plans keep their versions in ``plan_versions`` (0001); a version's details beyond the contract's
plan_of_care object (orders, physician, options notice, DME contacts, thresholds) are a child row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "plan_care_details",
        sa.Column("plan_version_id", sa.Integer, sa.ForeignKey("plan_versions.id"), primary_key=True),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Integer, sa.ForeignKey("api_keys.id")),
    )
    op.create_table(
        "care_visits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiaries.id"), nullable=False),
        sa.Column("supplier_npi", sa.String(10), sa.ForeignKey("suppliers.npi"), nullable=False),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans_of_care.id")),
        sa.Column("visit_date", sa.Date, nullable=False),
        sa.Column("clinician_name", sa.String(200), nullable=False),
        sa.Column("clinician_npi", sa.String(10)),
        sa.Column("discipline", sa.String(16), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("hit_minutes", sa.Integer, nullable=False),
        sa.Column("home_health_minutes", sa.Integer, nullable=False),
        sa.Column("drugs", sa.Text, nullable=False),
        sa.Column("services", sa.Text, nullable=False),
        sa.Column("training_topics", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.Integer, sa.ForeignKey("api_keys.id")),
    )
    op.create_index("ix_care_visits_beneficiary_date", "care_visits", ["beneficiary_id", "visit_date"])
    op.create_index("ix_care_visits_supplier_date", "care_visits", ["supplier_npi", "visit_date"])
    op.create_table(
        "care_readings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiaries.id"), nullable=False),
        sa.Column("supplier_npi", sa.String(10), sa.ForeignKey("suppliers.npi"), nullable=False),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans_of_care.id")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(24), nullable=False),
        sa.Column("unit", sa.String(8), nullable=False),
        sa.Column("canonical_value", sa.String(24), nullable=False),
        sa.Column("taken_at", TS, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("recorded_by", sa.Integer, sa.ForeignKey("api_keys.id")),
    )
    op.create_index("ix_care_readings_beneficiary_kind_taken", "care_readings", ["beneficiary_id", "kind", "taken_at"])
    op.create_table(
        "care_alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reading_id", sa.Integer, sa.ForeignKey("care_readings.id"), nullable=False, unique=True),
        sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiaries.id"), nullable=False),
        sa.Column("supplier_npi", sa.String(10), sa.ForeignKey("suppliers.npi"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(24), nullable=False),
        sa.Column("bound", sa.String(8), nullable=False),
        sa.Column("limit_value", sa.String(24), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("raised_at", TS, nullable=False),
        sa.Column("acknowledged_by", sa.String(200)),
        sa.Column("acknowledged_at", TS),
        sa.Column("resolved_by", sa.String(200)),
        sa.Column("resolved_at", TS),
        sa.Column("action", sa.Text),
    )
    op.create_index("ix_care_alerts_supplier_status", "care_alerts", ["supplier_npi", "status"])


def downgrade() -> None:
    op.drop_table("care_alerts")
    op.drop_table("care_readings")
    op.drop_table("care_visits")
    op.drop_table("plan_care_details")
