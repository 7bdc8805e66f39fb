"""Alembic environment: runs migrations on the Flask app's own database connection."""

from alembic import context
from flask import current_app

database = current_app.extensions["migrate"].db


def run_migrations_online() -> None:
    """Apply the migrations over a live connection."""
    with database.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=database.metadata)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
