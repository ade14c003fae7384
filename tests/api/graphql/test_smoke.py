from __future__ import annotations

from tests.api.graphql.conftest import Api


async def test_me_is_null_without_a_token(api: Api) -> None:
    assert await api.data("{ me { role } }") == {"me": None}
