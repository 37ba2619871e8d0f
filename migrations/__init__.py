"""Alembic revisions of the beian-audit schema (``beian db upgrade``)."""
