"""The first schema: suppliers, users, API keys, beneficiaries, plans of care, claims, lines,
decisions, the per-beneficiary history and the append-only audit log.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)

PG_AUDIT_GUARD = """
CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "suppliers",
        sa.Column("npi", sa.String(10), primary_key=True),
        sa.Column("name", sa.String(200)),
        sa.Column("specialty", sa.String(4)),
        sa.Column("accreditation_expires", sa.Date),
        sa.Column("licensed_states", sa.Text),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("supplier_npi", sa.String(10), sa.ForeignKey("suppliers.npi")),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("disabled_at", TS),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("prefix", sa.String(16), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("supplier_npi", sa.String(10), sa.ForeignKey("suppliers.npi")),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("label", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
    )
    op.create_table(
        "beneficiaries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("mbi", sa.String(32), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "plans_of_care",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiaries.id"), nullable=False),
        sa.Column("supplier_npi", sa.String(10), sa.ForeignKey("suppliers.npi")),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("api_keys.id")),
    )
    op.create_index("ix_plans_of_care_beneficiary_id", "plans_of_care", ["beneficiary_id"])
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans_of_care.id"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("established_by_npi", sa.String(10)),
        sa.Column("established_by_role", sa.String(32)),
        sa.Column("signed_date", sa.Date),
        sa.Column("signer", sa.String(200)),
        sa.Column("last_changed", sa.Date),
        sa.Column("reviewed_dates", sa.Text, nullable=False, server_default="[]"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("api_keys.id")),
        sa.UniqueConstraint("plan_id", "version", name="uq_plan_versions_plan_version"),
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("supplier_npi", sa.String(10), sa.ForeignKey("suppliers.npi"), nullable=False),
        sa.Column("claim_id", sa.String(64), nullable=False),
        sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiaries.id"), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("body_sha256", sa.String(64), nullable=False),
        sa.Column("earliest_service_date", sa.Date, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("submitted_by", sa.Integer, sa.ForeignKey("api_keys.id")),
        sa.UniqueConstraint("supplier_npi", "claim_id", name="uq_claims_supplier_claim"),
    )
    op.create_index("ix_claims_beneficiary_id", "claims", ["beneficiary_id"])
    op.create_table(
        "claim_lines",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("claim_ref", sa.Integer, sa.ForeignKey("claims.id"), nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("hcpcs", sa.String(8), nullable=False),
        sa.Column("service_date", sa.Date, nullable=False),
        sa.Column("units", sa.String(16), nullable=False),
        sa.Column("charge_cents", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("category", sa.Integer),
        sa.Column("paid_cents", sa.BigInteger),
        sa.UniqueConstraint("claim_ref", "line", name="uq_claim_lines_claim_line"),
    )
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("claim_ref", sa.Integer, sa.ForeignKey("claims.id"), nullable=False, unique=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("charge_cents", sa.BigInteger, nullable=False),
        sa.Column("allowed_cents", sa.BigInteger, nullable=False),
        sa.Column("paid_cents", sa.BigInteger, nullable=False),
        sa.Column("patient_cents", sa.BigInteger, nullable=False),
        sa.Column("decided_at", TS, nullable=False),
    )
    op.create_table(
        "history_entries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiaries.id"), nullable=False),
        sa.Column("service_date", sa.Date, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("category", sa.Integer, nullable=False),
        sa.Column("claim_ref", sa.Integer, sa.ForeignKey("claims.id"), nullable=False),
    )
    op.create_index("ix_history_entries_beneficiary_date", "history_entries", ["beneficiary_id", "service_date"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("api_key_id", sa.Integer),
        sa.Column("principal", sa.String(64)),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("beneficiary_id", sa.Integer),
        sa.Column("claim_ref", sa.Integer),
        sa.Column("remote", sa.String(64)),
        sa.Column("outcome", sa.String(32), nullable=False),
    )
    op.create_index("ix_audit_log_beneficiary_id", "audit_log", ["beneficiary_id"])

    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_AUDIT_GUARD)
        op.execute("CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()")
        op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()")
    elif dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                       f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {verb} refused'); END")


def downgrade() -> None:
    raise NotImplementedError("migrations are additive: restore from a backup instead")
