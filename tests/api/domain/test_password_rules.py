"""Portal password strength."""

from __future__ import annotations

import pytest

from api.domain.errors import InvalidInput
from api.domain.password_rules import check_password_strength


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("Sh0rt!", "between 10 and 1024"),
        ("x" * 1025, "between 10 and 1024"),
        ("aaaaaaaaaaaaaaaaaaaa", "too few different characters"),
        ("alice-Secret-99", "must not contain the username"),
        ("password12", "mix three of"),
    ],
)
def test_weak_passwords_are_refused_saying_why(password: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        check_password_strength(password, username="Alice")


@pytest.mark.parametrize("password", ["Tr0ub4dor&3x", "correct horse battery staple"])
def test_mixed_or_long_passwords_pass(password: str) -> None:
    assert check_password_strength(password, username="alice") == password
