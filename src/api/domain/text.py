"""Text every store accepts: no NUL character, no lone surrogate (one rule for all inputs).

PostgreSQL refuses a NUL in ``text``; SQLite would store it, so both are refused
everywhere. A lone surrogate (``"\\ud800"`` in JSON) is not Unicode text at all: it
cannot be encoded as UTF-8, so no driver can send it.
"""

from __future__ import annotations

NUL_MESSAGE = "must not contain a NUL character"
SURROGATE_MESSAGE = "must be valid Unicode text (a lone surrogate was found)"


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored, or ``None`` when it can."""
    if "\x00" in value:
        return NUL_MESSAGE
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE_MESSAGE
    return None
