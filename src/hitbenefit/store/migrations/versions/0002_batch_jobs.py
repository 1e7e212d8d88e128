"""Batch jobs of the REST API (POST /v1/batches): a job per uploaded file and a row per claim in
contract order, so a job killed at any point resumes and decides every claim exactly once.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    existing = sa.inspect(op.get_bind()).get_table_names()
    if "api_batch_jobs" not in existing:  # databases made before 0002 may have them from the API itself
        op.create_table(
            "api_batch_jobs",
            sa.Column("id", sa.String(36), primary_key=True),
            sa.Column("key_id", sa.Integer),
            sa.Column("role", sa.String(16), nullable=False),
            sa.Column("supplier_npi", sa.String(10)),
            sa.Column("body_sha256", sa.String(64), nullable=False),
            sa.Column("format", sa.String(8), nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("total", sa.Integer, nullable=False),
            sa.Column("created_at", TS, nullable=False),
            sa.Column("finished_at", TS),
            sa.UniqueConstraint("key_id", "body_sha256", name="uq_api_batch_jobs_key_body"),
        )
    if "api_batch_items" not in existing:
        op.create_table(
            "api_batch_items",
            sa.Column("job_id", sa.String(36), sa.ForeignKey("api_batch_jobs.id"), primary_key=True),
            sa.Column("seq", sa.Integer, primary_key=True),
            sa.Column("claim_id", sa.String(64), nullable=False),
            sa.Column("claim", sa.Text, nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("created", sa.Boolean),
            sa.Column("claim_status", sa.String(16)),
            sa.Column("decision", sa.Text),
            sa.Column("error", sa.Text),
        )


def downgrade() -> None:
    op.drop_table("api_batch_items")
    op.drop_table("api_batch_jobs")
