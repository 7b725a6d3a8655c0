"""Small domain errors: each names one way a command can be refused.

The HTTP layer maps each class to a status code in one place (``service/errors.py``).
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class: a command was refused and nothing was recorded."""


class NotFound(DomainError):
    """The aggregate does not exist (or is not visible to the actor)."""


class InvalidValue(DomainError):
    """A value given to a command breaks a rule; ``field`` names which value."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class IllegalTransition(DomainError):
    """The command is not allowed in the case's current state."""


class NotPermitted(DomainError):
    """The actor's role (or relation to the case) does not allow this command."""


class AlreadyExists(DomainError):
    """An aggregate with the same natural key exists already."""


class VersionMismatch(DomainError):
    """The caller expected another version of the aggregate (a stale If-Match)."""

    def __init__(self, expected: int, actual: int | None = None) -> None:
        current = f"the current version is {actual}" if actual else "it changed meanwhile"
        super().__init__(f"expected version {expected}, but {current}")
        self.expected = expected
        self.actual = actual


class ConcurrentChange(DomainError):
    """Someone else changed the aggregate between our read and our write."""
