"""Alembic migrations for the archive database, installed with the package."""
