"""One exception family; every message says what to do next."""

from __future__ import annotations


class CoauthorError(Exception):
    """Base of every error coauthor raises on purpose; the CLI prints it without a traceback."""

    exit_code = 1


class ConfigError(CoauthorError):
    """A setting or option is invalid; the message names it."""

    exit_code = 2


class InputFormatError(CoauthorError):
    """An input file is not OpenAlex works; the message names the file and line."""

    exit_code = 3

    def __init__(self, path: object, line: int | None, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


class LandingError(CoauthorError):
    """The landing zone is inconsistent or cannot be written."""


class BuildError(CoauthorError):
    """A SQL model failed; the message names the model."""


class ApiError(CoauthorError):
    """OpenAlex answered with an error that retrying will not fix."""

    exit_code = 4


class BudgetExhausted(ApiError):
    """The daily OpenAlex budget is spent; the checkpoint is saved and the run can resume later."""

    exit_code = 75  # EX_TEMPFAIL: try again later

    def __init__(self, message: str, resets_at: str | None = None) -> None:
        self.resets_at = resets_at
        super().__init__(message)


class CallLimitReached(ApiError):
    """`--max-calls` was reached; the checkpoint is saved."""

    exit_code = 0


class QualityGateFailed(CoauthorError):
    """A quality gate of the nightly run failed; nothing was published."""

    exit_code = 5


class ReadOnlyViolation(CoauthorError):
    """An analyst query tried to write or touch files."""

    exit_code = 2
