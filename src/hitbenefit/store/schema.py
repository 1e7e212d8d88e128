"""The store's tables (SQLAlchemy Core), as the migrations in ``migrations/versions`` build them.

JSON is kept as canonical text (sorted keys, exact decimals) so that a claim's sha256 is stable;
money totals are whole cents. This module is the reference for queries; the migrations are the
truth for the database and must be kept in step (additive changes only).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

suppliers = sa.Table(
    "suppliers", metadata,
    sa.Column("npi", sa.String(10), primary_key=True),
    sa.Column("name", sa.String(200)),
    sa.Column("specialty", sa.String(4)),
    sa.Column("accreditation_expires", sa.Date),
    sa.Column("licensed_states", sa.Text),  # JSON list of state codes, or NULL when unknown
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("email", sa.String(320), unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("supplier_npi", sa.String(10), sa.ForeignKey("suppliers.npi")),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("disabled_at", sa.DateTime(timezone=True)),
)

api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("prefix", sa.String(16), nullable=False, unique=True),
    sa.Column("secret_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("supplier_npi", sa.String(10), sa.ForeignKey("suppliers.npi")),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id")),
    sa.Column("label", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)

beneficiaries = sa.Table(
    "beneficiaries", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("mbi", sa.String(32), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

plans_of_care = sa.Table(
    "plans_of_care", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiaries.id"), nullable=False, index=True),
    sa.Column("supplier_npi", sa.String(10), sa.ForeignKey("suppliers.npi")),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("api_keys.id")),
)

plan_versions = sa.Table(
    "plan_versions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans_of_care.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("content", sa.Text, nullable=False),  # the contract's plan_of_care object, canonical JSON
    sa.Column("established_by_npi", sa.String(10)),
    sa.Column("established_by_role", sa.String(32)),
    sa.Column("signed_date", sa.Date),
    sa.Column("signer", sa.String(200)),
    sa.Column("last_changed", sa.Date),
    sa.Column("reviewed_dates", sa.Text, nullable=False, server_default="[]"),  # JSON list of dates
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("api_keys.id")),
    sa.UniqueConstraint("plan_id", "version", name="uq_plan_versions_plan_version"),
)

claims = sa.Table(
    "claims", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("supplier_npi", sa.String(10), sa.ForeignKey("suppliers.npi"), nullable=False),
    sa.Column("claim_id", sa.String(64), nullable=False),
    sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiaries.id"), nullable=False, index=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("body_sha256", sa.String(64), nullable=False),
    sa.Column("earliest_service_date", sa.Date, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("submitted_by", sa.Integer, sa.ForeignKey("api_keys.id")),
    sa.UniqueConstraint("supplier_npi", "claim_id", name="uq_claims_supplier_claim"),
)

claim_lines = sa.Table(
    "claim_lines", metadata,
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

decisions = sa.Table(
    "decisions", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("claim_ref", sa.Integer, sa.ForeignKey("claims.id"), nullable=False, unique=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("decision", sa.Text, nullable=False),  # the contract's decision JSON (CONTRACT §2)
    sa.Column("charge_cents", sa.BigInteger, nullable=False),
    sa.Column("allowed_cents", sa.BigInteger, nullable=False),
    sa.Column("paid_cents", sa.BigInteger, nullable=False),
    sa.Column("patient_cents", sa.BigInteger, nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
)

history_entries = sa.Table(
    "history_entries", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiaries.id"), nullable=False),
    sa.Column("service_date", sa.Date, nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),  # visit | drug
    sa.Column("category", sa.Integer, nullable=False),
    sa.Column("claim_ref", sa.Integer, sa.ForeignKey("claims.id"), nullable=False),
    sa.Index("ix_history_entries_beneficiary_date", "beneficiary_id", "service_date"),
)

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("api_key_id", sa.Integer),  # no foreign key: the log outlives what it names
    sa.Column("principal", sa.String(64)),  # "supplier:NPI", "contractor", "analyst", "system"
    sa.Column("action", sa.String(48), nullable=False),
    sa.Column("beneficiary_id", sa.Integer),  # the internal id, never the MBI
    sa.Column("claim_ref", sa.Integer),
    sa.Column("remote", sa.String(64)),
    sa.Column("outcome", sa.String(32), nullable=False),
)
