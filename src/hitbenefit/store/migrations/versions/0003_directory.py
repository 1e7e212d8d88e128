"""Supplier directory (CMS Home Infusion Therapy Providers dataset) with its import history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "directory_imports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("row_count", sa.Integer, nullable=False),
        sa.Column("supplier_count", sa.Integer, nullable=False),
        sa.Column("imported_at", TS, nullable=False),
        sa.Column("imported_by", sa.String(64), nullable=False),
        sa.UniqueConstraint("sha256", name="uq_directory_imports_sha256"),
    )
    op.create_table(
        "directory_suppliers",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("enrollment_id", sa.String(32), nullable=False),
        sa.Column("legal_business_name", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("street1", sa.String(200), nullable=False),
        sa.Column("street2", sa.String(200), nullable=False),
        sa.Column("city", sa.String(200), nullable=False),
        sa.Column("state", sa.String(2), nullable=False),
        sa.Column("zip", sa.String(10), nullable=False),
        sa.Column("phone", sa.String(200), nullable=False),
        sa.Column("specialty", sa.String(200), nullable=False),
        sa.Column("valid_from", sa.Integer, sa.ForeignKey("directory_imports.id"), nullable=False),
        sa.Column("valid_to", sa.Integer, sa.ForeignKey("directory_imports.id")),
    )
    op.create_index("ix_directory_suppliers_enrollment", "directory_suppliers",
                    ["enrollment_id", "valid_from", "valid_to", "name_key"])
    op.create_table(
        "directory_service_areas",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("enrollment_id", sa.String(32), nullable=False),
        sa.Column("type_description", sa.String(200), nullable=False),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("state", sa.String(2), nullable=False),
        sa.Column("county", sa.String(200), nullable=False),
        sa.Column("city", sa.String(200), nullable=False),
        sa.Column("zip", sa.String(10), nullable=False),
        sa.Column("county_key", sa.String(200), nullable=False),
        sa.Column("city_key", sa.String(200), nullable=False),
        sa.Column("zip5", sa.String(5), nullable=False),
        sa.Column("valid_from", sa.Integer, sa.ForeignKey("directory_imports.id"), nullable=False),
        sa.Column("valid_to", sa.Integer, sa.ForeignKey("directory_imports.id")),
    )
    covered = ["valid_to", "valid_from", "enrollment_id"]  # a search reads the index only
    op.create_index("ix_directory_areas_state_county", "directory_service_areas",
                    ["state", "county_key", "level", *covered])
    op.create_index("ix_directory_areas_city", "directory_service_areas", ["city_key", "state", "level", *covered])
    op.create_index("ix_directory_areas_zip", "directory_service_areas", ["zip5", "state", "level", *covered])
    op.create_index("ix_directory_areas_enrollment", "directory_service_areas", ["enrollment_id"])


def downgrade() -> None:
    op.drop_table("directory_service_areas")
    op.drop_table("directory_suppliers")
    op.drop_table("directory_imports")
