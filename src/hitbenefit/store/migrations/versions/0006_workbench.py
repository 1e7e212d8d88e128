"""The web workbench: sessions and stored reconciliations.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), primary_key=True),  # SHA-256 of the cookie's session id, never the id
        sa.Column("api_key_id", sa.Integer, sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("ended_at", TS),
    )
    op.create_table(
        "reconciliations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("api_key_id", sa.Integer, sa.ForeignKey("api_keys.id")),
        sa.Column("supplier_npi", sa.String(10)),  # the supplier whose key stored it; NULL: a contractor's
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("payer", sa.String(200)),
        sa.Column("claims", sa.Integer, nullable=False),
        sa.Column("expected_cents", sa.BigInteger, nullable=False),
        sa.Column("remitted_cents", sa.BigInteger, nullable=False),
        sa.Column("report", sa.Text, nullable=False),  # ReconciliationReport.to_json(), canonical JSON
    )
    op.create_index("ix_reconciliations_supplier", "reconciliations", ["supplier_npi", "created_at"])
    # the claim lists and patient lists read these without touching the stored bodies (benchmarks/web.py)
    op.create_index("ix_claims_supplier_order", "claims",
                    ["supplier_npi", "id", "earliest_service_date", "beneficiary_id"])
    op.create_index("ix_decisions_claim_summary", "decisions", ["claim_ref", "status", "charge_cents", "paid_cents"])


def downgrade() -> None:
    op.drop_index("ix_decisions_claim_summary", "decisions")
    op.drop_index("ix_claims_supplier_order", "claims")
    op.drop_table("reconciliations")
    op.drop_table("web_sessions")
