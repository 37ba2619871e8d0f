"""What every command shares: the settings and the store, opened on first use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import click

from audit.config import Settings, load_settings
from audit.errors import UserError
from audit.store import Store
from audit.store.db import missing_sqlite_file


@dataclass
class AppContext:
    config_path: str | None
    verbose: int = 0
    _settings: Settings | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    def override(self, **values: Any) -> Settings:
        """Settings with command-line values on top; None means not given.

        Nested sections are dicts: ``override(crawl={"proxy": url})``.
        """
        given = _drop_none(values)
        if given:
            self._settings = load_settings(self.config_path, **given)
        return self.settings

    def store(self, *, migrate: bool = True, create: bool = False) -> Store:
        """The store, opened on first use. A command that only reads (``create`` False)
        refuses an SQLite database that does not exist, instead of creating an empty one
        and reporting that it holds nothing."""
        if self._store is None:
            if not create:
                self.require_database()
            self._store = Store(self.settings.database_url, migrate=migrate)
        return self._store

    def require_database(self) -> None:
        """UserError when the configured SQLite database does not exist yet."""
        missing = missing_sqlite_file(self.settings.database_url)
        if missing is not None:
            raise UserError(
                f"no database at {missing}: import an inventory to create it (beian sites "
                "import 网站清单.xlsx), or run beian demo; database_url in beian.toml or "
                "BEIAN_DATABASE_URL names another"
            )


pass_app = click.make_pass_decorator(AppContext)


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict):
            value = _drop_none(value)
            if not value:
                continue
        if value is not None:
            result[key] = value
    return result
