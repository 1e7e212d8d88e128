"""Claim building: the home infusion drugs dispensed to each beneficiary (the J-code lines of the
HIT claims the claim builder makes from the month's visits).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dispensing_records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("supplier_npi", sa.String(10), sa.ForeignKey("suppliers.npi"), nullable=False),
        sa.Column("beneficiary_id", sa.Integer, sa.ForeignKey("beneficiaries.id"), nullable=False),
        sa.Column("dispensed_date", sa.Date, nullable=False),
        sa.Column("hcpcs", sa.String(8), nullable=False),
        sa.Column("units", sa.String(16), nullable=False),
        sa.Column("charge_cents", sa.BigInteger, nullable=False),
        sa.Column("drug_name", sa.String(80)),
        sa.Column("ndc", sa.String(13)),
        sa.Column("category", sa.Integer),
        sa.Column("record_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("api_keys.id")),
        sa.UniqueConstraint("supplier_npi", "record_sha256", name="uq_dispensing_records_supplier_record"),
    )
    op.create_index("ix_dispensing_records_beneficiary_date", "dispensing_records",
                    ["beneficiary_id", "dispensed_date"])


def downgrade() -> None:
    op.drop_index("ix_dispensing_records_beneficiary_date", table_name="dispensing_records")
    op.drop_table("dispensing_records")
