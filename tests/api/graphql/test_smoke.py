from __future__ import annotations

from tests.api.graphql.conftest import Api


async def test_me_is_refused_without_a_token(api: Api) -> None:
    body = await api.post("{ me { role } }")
    assert body == {"data": None, "errors": [{"message": "Not authenticated"}]}
