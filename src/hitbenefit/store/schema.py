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

# ---- supplier directory (CMS "Home Infusion Therapy Providers", FAQ 5): migration 0003 ------------
# Each import is a snapshot; a row is in force from the import that brought it (valid_from) until
# the import that dropped or changed it (valid_to, NULL while current). See store/directory.py.
directory_imports = sa.Table(
    "directory_imports", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file_name", sa.String(300), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("row_count", sa.Integer, nullable=False),
    sa.Column("supplier_count", sa.Integer, nullable=False),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("imported_by", sa.String(64), nullable=False),
)

directory_suppliers = sa.Table(
    "directory_suppliers", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("enrollment_id", sa.String(32), nullable=False),
    sa.Column("legal_business_name", sa.String(200), nullable=False),
    sa.Column("name_key", sa.String(200), nullable=False),  # upper case, for name search
    sa.Column("street1", sa.String(200), nullable=False),
    sa.Column("street2", sa.String(200), nullable=False),
    sa.Column("city", sa.String(200), nullable=False),
    sa.Column("state", sa.String(2), nullable=False),
    sa.Column("zip", sa.String(10), nullable=False),
    sa.Column("phone", sa.String(200), nullable=False),
    sa.Column("specialty", sa.String(200), nullable=False),
    sa.Column("valid_from", sa.Integer, sa.ForeignKey("directory_imports.id"), nullable=False),
    sa.Column("valid_to", sa.Integer, sa.ForeignKey("directory_imports.id")),
    sa.Index("ix_directory_suppliers_enrollment", "enrollment_id", "valid_from", "valid_to", "name_key"),
)

directory_service_areas = sa.Table(
    "directory_service_areas", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("enrollment_id", sa.String(32), nullable=False),
    sa.Column("type_description", sa.String(200), nullable=False),  # as the file gives it
    sa.Column("level", sa.String(8), nullable=False),  # state | county | city | zip
    sa.Column("state", sa.String(2), nullable=False),
    sa.Column("county", sa.String(200), nullable=False),
    sa.Column("city", sa.String(200), nullable=False),
    sa.Column("zip", sa.String(10), nullable=False),
    sa.Column("county_key", sa.String(200), nullable=False),
    sa.Column("city_key", sa.String(200), nullable=False),
    sa.Column("zip5", sa.String(5), nullable=False),
    sa.Column("valid_from", sa.Integer, sa.ForeignKey("directory_imports.id"), nullable=False),
    sa.Column("valid_to", sa.Integer, sa.ForeignKey("directory_imports.id")),
    # covering: a search reads these indexes only (validity and the enrollment id included)
    sa.Index("ix_directory_areas_state_county", "state", "county_key", "level", "valid_to", "valid_from",
             "enrollment_id"),
    sa.Index("ix_directory_areas_city", "city_key", "state", "level", "valid_to", "valid_from", "enrollment_id"),
    sa.Index("ix_directory_areas_zip", "zip5", "state", "level", "valid_to", "valid_from", "enrollment_id"),
    sa.Index("ix_directory_areas_enrollment", "enrollment_id"),
)

# ---- the supplier's day (migration 0004): plan details, visits, monitoring readings and alerts ----
plan_care_details = sa.Table(
    "plan_care_details", metadata,
    sa.Column("plan_version_id", sa.Integer, sa.ForeignKey("plan_versions.id"), primary_key=True),
    sa.Column("details", sa.Text, nullable=False),  # care/plan.py CarePlan.details_json(), canonical JSON
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.Integer, sa.ForeignKey("api_keys.id")),
)

care_visits = sa.Table(
    "care_visits", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiaries.id"), nullable=False),
    sa.Column("supplier_npi", sa.String(10), sa.ForeignKey("suppliers.npi"), nullable=False),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans_of_care.id")),
    sa.Column("visit_date", sa.Date, nullable=False),
    sa.Column("clinician_name", sa.String(200), nullable=False),
    sa.Column("clinician_npi", sa.String(10)),
    sa.Column("discipline", sa.String(16), nullable=False),
    sa.Column("mode", sa.String(16), nullable=False),  # in_person | remote
    sa.Column("hit_minutes", sa.Integer, nullable=False),
    sa.Column("home_health_minutes", sa.Integer, nullable=False),
    sa.Column("drugs", sa.Text, nullable=False),  # JSON list of {hcpcs, name, category}
    sa.Column("services", sa.Text, nullable=False),  # JSON list
    sa.Column("training_topics", sa.Text, nullable=False),  # JSON list
    sa.Column("note", sa.Text),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_by", sa.Integer, sa.ForeignKey("api_keys.id")),
    sa.Index("ix_care_visits_beneficiary_date", "beneficiary_id", "visit_date"),
    sa.Index("ix_care_visits_supplier_date", "supplier_npi", "visit_date"),
)

care_readings = sa.Table(
    "care_readings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiaries.id"), nullable=False),
    sa.Column("supplier_npi", sa.String(10), sa.ForeignKey("suppliers.npi"), nullable=False),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans_of_care.id")),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.String(24), nullable=False),  # exact decimal text, as reported
    sa.Column("unit", sa.String(8), nullable=False),
    sa.Column("canonical_value", sa.String(24), nullable=False),
    sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),  # phone | electronic
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("recorded_by", sa.Integer, sa.ForeignKey("api_keys.id")),
    sa.Index("ix_care_readings_beneficiary_kind_taken", "beneficiary_id", "kind", "taken_at"),
)

care_alerts = sa.Table(
    "care_alerts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reading_id", sa.Integer, sa.ForeignKey("care_readings.id"), nullable=False, unique=True),
    sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiaries.id"), nullable=False),
    sa.Column("supplier_npi", sa.String(10), sa.ForeignKey("suppliers.npi"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.String(24), nullable=False),  # canonical unit
    sa.Column("bound", sa.String(8), nullable=False),  # low | high | change
    sa.Column("limit_value", sa.String(24), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # open | acknowledged | resolved
    sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("acknowledged_by", sa.String(200)),
    sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
    sa.Column("resolved_by", sa.String(200)),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("action", sa.Text),  # what the clinician did
    sa.Index("ix_care_alerts_supplier_status", "supplier_npi", "status"),
)

dispensing_records = sa.Table(  # 0005: the drugs dispensed, for the claim builder's J-code lines
    "dispensing_records", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("supplier_npi", sa.String(10), sa.ForeignKey("suppliers.npi"), nullable=False),
    sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiaries.id"), nullable=False),
    sa.Column("dispensed_date", sa.Date, nullable=False),
    sa.Column("hcpcs", sa.String(8), nullable=False),
    sa.Column("units", sa.String(16), nullable=False),  # exact decimal text
    sa.Column("charge_cents", sa.BigInteger, nullable=False),  # the DME-side charge
    sa.Column("drug_name", sa.String(80)),
    sa.Column("ndc", sa.String(13)),
    sa.Column("category", sa.Integer),
    sa.Column("record_sha256", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.Integer, sa.ForeignKey("api_keys.id")),
    sa.UniqueConstraint("supplier_npi", "record_sha256", name="uq_dispensing_records_supplier_record"),
    sa.Index("ix_dispensing_records_beneficiary_date", "beneficiary_id", "dispensed_date"),
)

# ---- the API's batch jobs (migration 0002; api/batches.py) ----
api_batch_jobs = sa.Table(
    "api_batch_jobs", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("key_id", sa.Integer),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("supplier_npi", sa.String(10)),
    sa.Column("body_sha256", sa.String(64), nullable=False),
    sa.Column("format", sa.String(8), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # queued | running | done
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.UniqueConstraint("key_id", "body_sha256", name="uq_api_batch_jobs_key_body"),
)
api_batch_items = sa.Table(
    "api_batch_items", metadata,
    sa.Column("job_id", sa.String(36), sa.ForeignKey("api_batch_jobs.id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),  # contract order
    sa.Column("claim_id", sa.String(64), nullable=False),
    sa.Column("claim", sa.Text, nullable=False),  # canonical contract JSON
    sa.Column("status", sa.String(16), nullable=False),  # pending | decided | conflict | forbidden | error
    sa.Column("created", sa.Boolean),  # True: this job's submission stored it; False: it was stored before
    sa.Column("claim_status", sa.String(16)),
    sa.Column("decision", sa.Text),
    sa.Column("error", sa.Text),
)

# ---- the web workbench (migration 0006; store/listing.py) ----
web_sessions = sa.Table(
    "web_sessions", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("api_key_id", sa.Integer, nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
)

reconciliations = sa.Table(
    "reconciliations", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("api_key_id", sa.Integer),
    sa.Column("supplier_npi", sa.String(10)),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("payer", sa.String(200)),
    sa.Column("claims", sa.Integer, nullable=False),
    sa.Column("expected_cents", sa.BigInteger, nullable=False),
    sa.Column("remitted_cents", sa.BigInteger, nullable=False),
    sa.Column("report", sa.Text, nullable=False),
)
