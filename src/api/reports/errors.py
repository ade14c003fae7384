"""What a report request can get wrong."""

from __future__ import annotations


class ReportError(Exception):
    """The base of every report failure."""


class InvalidParameter(ReportError):
    """A filter value that cannot be used; names the parameter (an HTTP 400)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class ReportForbidden(ReportError):
    """The actor may not read this report (an HTTP 403)."""
