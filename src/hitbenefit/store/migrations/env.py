"""Alembic environment: runs on the connection handed over in ``config.attributes["connection"]``."""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always run through hitbenefit.store.migrate
    raise RuntimeError("run the store's migrations with hitbenefit.store.migrate.upgrade(url)")

context.configure(connection=connection, target_metadata=None, render_as_batch=True,
                  transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
