"""Engines, sessions and schema migrations.

An SQLite file is brought to the latest schema on first use; so is an empty
PostgreSQL database. A PostgreSQL database on an older schema is left alone
until someone runs ``beian db upgrade`` (production upgrades are deliberate).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import CursorResult, Result, make_url
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from audit.errors import StoreError

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger(__name__)
T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            parent = Path(database).expanduser().resolve().parent
            if not parent.is_dir():
                raise StoreError(f"database folder {parent} does not exist ({url})")
        # Wait up to 30 s for another writer (a URL may say otherwise: ?timeout=5).
        timeout = {} if "timeout" in parsed.query else {"timeout": 30}
        engine = create_engine(url, connect_args=timeout, json_serializer=_json_text)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=_json_text)


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL (whether it exists or not); None for other databases and
    for memory."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else Path(database).expanduser()


def missing_sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL when it does not exist yet (opening it would create an
    empty database); None for other URLs and existing files."""
    path = sqlite_file(url)
    return None if path is None or path.exists() else path


def _json_text(value: Any) -> str:
    # Chinese as UTF-8, not as \uXXXX escapes: half the bytes of a notice's details.
    return json.dumps(value, ensure_ascii=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets `beian findings` read while a crawl writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def rows_matched(result: Result[Any]) -> int:
    """The row count of an UPDATE or DELETE run with Session.execute (which types its
    result as a plain Result; for these statements it is a CursorResult)."""
    return cast("CursorResult[Any]", result).rowcount


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> None:
    """Upgrade an SQLite or an empty database; refuse an outdated PostgreSQL one with advice."""
    try:
        current = current_revision(engine)
        head = head_revision(engine)
        if current == head:
            return
        empty = not inspect(engine).get_table_names()
    except OperationalError as exc:
        raise StoreError(f"cannot open the database {_safe(engine)}: {first_line(exc)}") from None
    if engine.dialect.name == "sqlite" or empty:
        upgrade(engine)
        return
    raise StoreError(
        f"the database {_safe(engine)} is at schema {current or 'none'}, not {head}:"
        " run `beian db upgrade`"
    )


def is_transient(exc: BaseException) -> bool:
    """Whether a database error says nothing about the data: the connection was lost, the
    server restarts, SQLite is locked. Writing the same rows again later may succeed."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError | DisconnectionError)


def _safe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def first_line(exc: BaseException) -> str:
    """The driver's message of a database error, its first line (no SQL, no parameters)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Store:
    """The database of one configuration: an engine and a session factory."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        try:
            self.engine = make_engine(url)
        except SQLAlchemyError as exc:
            raise StoreError(f"bad database URL {url!r}: {first_line(exc)}") from None
        if migrate:
            try:
                ensure_schema(self.engine)
            except StoreError:
                raise
            except Exception as exc:  # a driver error: unreachable server, bad credentials
                self.engine.dispose()
                raise StoreError(
                    f"cannot use the database {_safe(self.engine)}: {first_line(exc)}"
                ) from exc
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        with self._sessions.begin() as session:
            yield session

    def run(self, work: Callable[[Session], T], *, attempts: int = 5, wait: float = 1.0) -> T:
        """``work(session)`` in a transaction, tried again (one warning line each time) when
        the connection was lost: a server that restarts or fails over. ``work`` must be
        safe to repeat once it failed."""
        for attempt in range(1, attempts + 1):
            try:
                with self.session() as session:
                    return work(session)
            except Exception as exc:
                if attempt == attempts or not is_transient(exc):
                    raise
                logger.warning(
                    "the database connection was lost (%s); trying again", first_line(exc)
                )
                time.sleep(wait * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
