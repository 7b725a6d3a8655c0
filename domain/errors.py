"""Small domain errors: each names one way a command can be refused.

The HTTP layer maps each class to a status code in one place (``service/errors.py``).

A refusal's ``reason`` is an English sentence with ``{name}`` places for its ``details``, as
``str.format`` fills them: the API says it as it is, the web pages say it in the reader's
language (the sentences are extracted for translation as written at each ``raise``).
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class: a command was refused and nothing was recorded."""

    def __init__(self, reason: str = "", **details: object) -> None:
        super().__init__(reason.format(**details) if details else reason)
        self.reason = reason
        self.details = details


class NotFound(DomainError):
    """The aggregate does not exist (or is not visible to the actor)."""


class InvalidValue(DomainError):
    """A value given to a command breaks a rule; ``field`` names which value."""

    def __init__(self, field: str, message: str, **details: object) -> None:
        super().__init__(message, **details)
        self.field = field
        #: The reason with its details filled in, without the field's name.
        self.message = str(self.args[0])
        self.args = (f"{field}: {self.message}",)


class IllegalTransition(DomainError):
    """The command is not allowed in the case's current state."""


class NotPermitted(DomainError):
    """The actor's role (or relation to the case) does not allow this command."""


class AlreadyExists(DomainError):
    """An aggregate with the same natural key exists already."""


class VersionMismatch(DomainError):
    """The caller expected another version of the aggregate (a stale If-Match)."""

    def __init__(self, expected: int, actual: int | None = None) -> None:
        if actual:
            super().__init__(
                "expected version {expected}, but the current version is {actual}",
                expected=expected,
                actual=actual,
            )
        else:
            super().__init__(
                "expected version {expected}, but it changed meanwhile", expected=expected
            )
        self.expected = expected
        self.actual = actual


class ConcurrentChange(DomainError):
    """Someone else changed the aggregate between our read and our write."""
