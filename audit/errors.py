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


class ArgumentError(UserError):
    """A wrong or missing value of an operation's argument. The message names the argument
    through ``{argument}``, so that each caller words it its own way: the CLI as its option
    (``--deadline``), the web console as its field; ``str()`` says the bare name."""

    PLACEHOLDER = "{argument}"

    def __init__(self, argument: str, template: str) -> None:
        self.argument = argument
        self.template = template
        super().__init__(self.worded(argument))

    def worded(self, name: str) -> str:
        # replace, not format: the rest of the message may quote a file name with braces
        return self.template.replace(self.PLACEHOLDER, name)
