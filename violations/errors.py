"""Errors of the violations app that a caller (a person, a task) can act on."""

from __future__ import annotations


class ViolationServiceError(Exception):
    """Base of the errors a caller can act on; the message says what to do."""


class ViolationNotFound(ViolationServiceError):
    """No such violation, or not one this user may see (deliberately indistinguishable)."""


class UnknownCamera(ViolationServiceError):
    pass


class InvalidEvent(ViolationServiceError):
    pass


class ReviewNotAllowed(ViolationServiceError):
    """The user may not take this decision (role, city, or same person twice)."""


class InvalidTransition(ViolationServiceError):
    """The violation is not in a state where this decision applies."""


class InvalidDecision(ViolationServiceError):
    """A decision with a missing or invalid reason, note or plate."""
