"""Reseller codes: derived from the id, parsed back strictly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.domain.tenants import reseller_code, reseller_id_from_code


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
