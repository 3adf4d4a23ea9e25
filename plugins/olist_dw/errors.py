"""Errors whose message tells the user what to fix: the CLI prints them without a stack trace.

They are deterministic by default (a missing file, a wrong header, broken keys, a bad setting): running the
same task again gives the same error, so the project's Airflow tasks fail on them at once, without retries
(`olist_dw.dag_defaults.FailFastOnUserFacingErrors`). A subclass naming a condition that clears by itself
(a lock another process holds, a throttled API) sets `retryable = True` and keeps the task's retries.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ValidationError


class UserFacingError(Exception):
    """Base of every error meant for the user; the message names the file, row or setting."""

    retryable: ClassVar[bool] = False


def is_deterministic(error: BaseException) -> bool:
    """True when retrying cannot help: a user-facing error that is not marked retryable, or an invalid
    setting (pydantic's ValidationError, raised when the settings are read)."""
    if isinstance(error, UserFacingError):
        return not error.retryable
    return isinstance(error, ValidationError)
