"""Reseller codes: derived from the id, parsed back strictly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.domain.tenants import (
    USERNAME_LENGTH,
    reseller_code,
    reseller_id_from_code,
    short_name,
    short_name_limit,
    tenant_prefix,
    tenant_username,
)


def test_code_of_the_first_reseller() -> None:
    assert reseller_code(1) == "100001"


@given(st.integers(min_value=1, max_value=10**9))
def test_code_round_trips(reseller_id: int) -> None:
    assert reseller_id_from_code(reseller_code(reseller_id)) == reseller_id


@pytest.mark.parametrize(
    "code",
    ["", "100000", "99999", "abc", "+100001", " 100001", "0100001", "١٠٠٠٠١", "1" * 13],
)
def test_malformed_codes_name_no_reseller(code: str) -> None:
    assert reseller_id_from_code(code) is None


def test_ids_below_one_have_no_code() -> None:
    with pytest.raises(ValueError, match="positive"):
        reseller_code(0)


def test_a_name_is_put_in_the_resellers_namespace() -> None:
    assert tenant_username(1, "line-b") == "100001_line-b"
    assert tenant_username(2, "line-b") == "100002_line-b"  # no clash between tenants
    assert tenant_username(1, "100001_line-b") == "100001_line-b"  # already full
    assert tenant_username(1, "100002_line-b") == "100001_100002_line-b"  # not its own
    assert short_name("100001_line-b") == "line-b"
    assert short_name("100001_100002_x") == "100002_x"
    assert short_name("legacy") == "legacy"


@given(
    st.integers(min_value=1, max_value=10**6),
    st.from_regex(r"[a-z0-9][a-z0-9._-]{2,20}", fullmatch=True),
)
def test_short_and_full_names_are_one_line(reseller_id: int, name: str) -> None:
    full = tenant_username(reseller_id, name)
    assert full.startswith(tenant_prefix(reseller_id))
    assert tenant_username(reseller_id, full) == full
    assert tenant_username(reseller_id, short_name(full)) == full


def test_the_prefix_leaves_room_for_the_short_name() -> None:
    assert short_name_limit(1) == 100 - len("100001_") == 93
    assert len(tenant_username(1, "x" * short_name_limit(1))) == USERNAME_LENGTH


def test_an_empty_name_names_no_line() -> None:
    assert tenant_username(1, "") == ""
