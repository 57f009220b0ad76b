"""Domain errors: each carries a message fit to show a user as one line."""


class HzError(Exception):
    """Base of every error the CLI turns into a clean message and a non-zero exit."""

    exit_code = 1


class InputError(HzError):
    """A file that cannot be read, decoded or parsed (the message names file and line)."""


class StoreError(HzError):
    """The database is locked, foreign, newer than this program, or unwritable."""


class UsageError(HzError):
    """A bad argument: a date that is not a date, a query with bad syntax."""

    exit_code = 2
