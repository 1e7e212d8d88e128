"""Alembic migrations of the store, run programmatically by ``hitbenefit.store.migrate.upgrade``."""
