"""Errors a user can cause, each with one clear line saying what is wrong and what to do."""


class TidingsError(Exception):
    """A failure to report as one line (no traceback unless --debug); `exit_code` for the CLI."""

    exit_code = 1


class UsageError(TidingsError):
    exit_code = 2


class DatabaseError(TidingsError):
    exit_code = 3


class PageError(Exception):
    """One page could not be read or parsed: recorded on that document, the run goes on."""

    def __init__(self, message: str, status: str = "error") -> None:
        super().__init__(message)
        self.status = status
