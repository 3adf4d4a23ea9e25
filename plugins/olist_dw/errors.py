"""Errors whose message tells the user what to fix: the CLI prints them without a stack trace."""


class UserFacingError(Exception):
    """Base of every error meant for the user; the message names the file, row or setting."""
