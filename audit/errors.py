"""Errors a user can fix. The CLI prints them as one line, without a traceback."""


class UserError(Exception):
    """Bad input, bad configuration or an unreachable service: the message says which."""

    exit_code = 1


class ConfigError(UserError):
    pass


class StoreError(UserError):
    pass


class OutputError(UserError):
    """A file could not be written (a full or read-only disk): nothing was left half-written."""
