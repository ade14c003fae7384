"""How strong a portal password must be (set by a client through a reset link)."""

from __future__ import annotations

from api.domain.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 1024
LONG_ENOUGH = 16  # a passphrase this long needs no mix of character kinds


def check_password_strength(password: str, *, username: str = "") -> str:
    """``password`` when it is 10..1024 characters, not the username, not one repeated
    character, and (under 16 characters) mixes at least three kinds of characters among
    lower case, upper case, digits and others; else :class:`InvalidInput` saying why."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidInput("password", f"between {MIN_LENGTH} and {MAX_LENGTH} characters")
    if len(set(password)) < 4:
        raise InvalidInput("password", "too few different characters")
    if username and username.casefold() in password.casefold():
        raise InvalidInput("password", "must not contain the username")
    kinds = sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )
    if len(password) < LONG_ENOUGH and kinds < 3:
        raise InvalidInput(
            "password",
            "mix three of: lower case, upper case, digits, other characters "
            f"(or use at least {LONG_ENOUGH} characters)",
        )
    return password
