"""Each limit is hit and answered with a clean error (never a crash, never a suggestion)."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.graphql.hardening import MAX_ALIASES, MAX_DEPTH, MAX_TOKENS
from api.graphql.schema import sdl
from api.services import clients
from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import CREATE_CLIENT, seed

ROOT = Path(__file__).resolve().parents[3]


def _message(body: dict[str, object]) -> str:
    errors = body["errors"]
    assert isinstance(errors, list)
    assert errors
    message = errors[0]["message"]
    assert isinstance(message, str)
    return message


async def test_depth_limit(api: Api) -> None:
    tenant = await seed(api)
    query = "{ clients { edges { node { cdrs { edges { node { rule { kind } } } } } } } }"
    assert query.count("{") - 1 > MAX_DEPTH
    body = await api.post(query, tenant.reseller)
    assert "exceeds maximum operation depth" in _message(body)


async def test_alias_limit(api: Api) -> None:
    query = "{ " + " ".join(f"a{i}: me {{ role }}" for i in range(MAX_ALIASES + 1)) + " }"
    assert "aliases found" in _message(await api.post(query))


async def test_token_limit(api: Api) -> None:
    query = "{ " + " ".join("me { role }" for _ in range(MAX_TOKENS)) + " }"
    assert "more than 2000 tokens" in _message(await api.post(query))


async def test_introspection_is_off(api: Api) -> None:
    body = await api.post("{ __schema { types { name } } }")
    assert "introspection" in _message(body).lower()


async def test_no_field_suggestions(api: Api) -> None:
    message = _message(await api.post("{ clientz { edges { node { id } } } }"))
    assert "Did you mean" not in message


async def test_get_is_refused(api: Api) -> None:
    response = await api.http.get("/graphql", params={"query": "{ me { role } }"})
    assert response.status_code in {404, 405}


async def test_batching_is_off(api: Api) -> None:
    batch = [{"query": "{ me { role } }"}, {"query": "{ me { role } }"}]
    response = await api.http.post("/graphql", json=batch)
    assert response.status_code == 400


async def test_body_size_limit(api: Api) -> None:
    big = "#" * (api.state.settings.max_body_bytes + 1)
    response = await api.http.post("/graphql", json={"query": big})
    assert response.status_code == 413


async def test_unexpected_errors_are_masked_and_logged_without_the_message(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = await seed(api)

    secret = "".join(["hun", "ter2"])  # a runtime value, not in the source text

    async def crash(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"password={secret}")

    monkeypatch.setattr(clients, "list_clients", crash)
    body = await api.post("{ clients { edges { node { id } } } }", tenant.reseller)
    assert _message(body) == "Unexpected error"
    assert "hunter2" not in str(body)
    assert "RuntimeError" in caplog.text
    assert "hunter2" not in caplog.text


async def test_unauthenticated_is_a_clean_error(api: Api) -> None:
    assert _message(await api.post("{ clients { edges { node { id } } } }")) == "Not authenticated"


async def test_pages_are_capped_at_100(api: Api) -> None:
    tenant = await seed(api)
    body = await api.post("{ clients(first: 101) { edges { node { id } } } }", tenant.reseller)
    assert _message(body) == "first must be between 1 and 100"
    await api.data(CREATE_CLIENT, tenant.reseller, input={"name": "capped"})
    for field in ("packages", "subAccounts", "dids"):  # the lists nested in a client too
        nested = "{ clients { edges { node { %s(first: 101) { edges { cursor } } } } } }"
        body = await api.post(nested % field, tenant.reseller)
        assert _message(body) == "first must be between 1 and 100", field


def test_committed_sdl_is_current() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == sdl(), "schema.graphql is stale: run python -m api.graphql.sdl"
