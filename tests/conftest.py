"""Shared fixtures: a fresh database on SQLite, and on PostgreSQL when one is given.

Each PostgreSQL test gets its own schema (named after the test and the xdist
worker), so tests can run in parallel against one server.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from audit.store import Store

REPO = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("BEIAN_TEST_POSTGRES_URL")

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="BEIAN_TEST_POSTGRES_URL is not set"),
        ],
    ),
]


def _postgres_schema_url(name: str) -> Iterator[str]:
    assert POSTGRES_URL
    base = make_url(POSTGRES_URL)
    if base.drivername == "postgresql":
        base = base.set(drivername="postgresql+psycopg")
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    url = base.update_query_dict({"options": f"-csearch_path={name}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database (no tables yet)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'beian.db'}"
        return
    slug = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:30]
    yield from _postgres_schema_url(f"t_{slug}_{uuid.uuid4().hex[:8]}")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A store at the latest schema."""
    with Store(db_url) as s:
        yield s
