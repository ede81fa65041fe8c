"""Alembic migrations of the state store; run from code by :mod:`itsmhub.store.engine`."""
