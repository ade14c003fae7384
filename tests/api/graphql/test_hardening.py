"""Each limit is hit and answered with a clean error (never a crash, never a suggestion)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from api.graphql import hardening
from api.graphql.document_cache import PUBLIC_DOCUMENTS
from api.graphql.limits import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_DOCUMENT_CHARS,
    MAX_FIELDS,
    MAX_REPEATS,
    MAX_TOKENS,
    PUBLIC_DOCUMENT_CHARS,
)
from api.graphql.schema import sdl
from api.services import clients
from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import CREATE_CLIENT, LOGIN, PASSWORD, seed, world

ROOT = Path(__file__).resolve().parents[3]


def _message(body: dict[str, object]) -> str:
    errors = body["errors"]
    assert isinstance(errors, list)
    assert errors
    message = errors[0]["message"]
    assert isinstance(message, str)
    return message


class Counting:
    """Counts the parses and validations of the hardening extension (the real ones run)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parses = 0
        self.validations = 0
        parse, validate = hardening.parse, hardening.validate_document

        def parsing(*args: Any, **kwargs: Any) -> Any:
            self.parses += 1
            return parse(*args, **kwargs)

        def validating(*args: Any) -> Any:
            self.validations += 1
            return validate(*args)

        monkeypatch.setattr(hardening, "parse", parsing)
        monkeypatch.setattr(hardening, "validate_document", validating)


async def test_depth_limit(api: Api) -> None:
    """Every path of the schema fits (``test_limits``); one past the limit is refused."""
    tenant = await seed(api)
    path = ["clients", "edges", "node", "cdrs", "edges", "node", "rule", "kind", "a", "b"]
    query = "{ " + " { ".join(path) + " }" * len(path)
    assert len(path) - 1 > MAX_DEPTH
    body = await api.post(query, tenant.reseller)
    assert f"exceeds maximum operation depth of {MAX_DEPTH}" in str(body["errors"])


async def test_a_dashboards_deep_query_passes(api: Api) -> None:
    """Issue #11: the depth limit of 6 refused ``clients → dids → perMinutePrice``."""
    tenant = await seed(api)
    await api.data(CREATE_CLIENT, tenant.reseller, input={"name": "deep"})
    query = """{ clients(first: 50) { edges { node { id name
        dids { edges { node { number perMinutePrice { amount currency } } } }
        cdrs(first: 20) { edges { node { number sell { amount } rule { kind text line } } } }
        transactions(first: 20) { edges { node { kind change { amount currency } } } } } } } }"""
    data = await api.data(query, tenant.reseller)
    assert data["clients"]["edges"][0]["node"]["name"] == "deep"


async def test_alias_limit(api: Api) -> None:
    tenant = await seed(api)
    query = "{ " + " ".join(f"a{i}: me {{ role }}" for i in range(MAX_ALIASES + 1)) + " }"
    assert "aliases found" in _message(await api.post(query, tenant.reseller))


async def test_token_limit(api: Api) -> None:
    tenant = await seed(api)
    query = "{" + "me{role}" * (MAX_TOKENS // 4 + 1) + "}"
    assert len(query) < MAX_DOCUMENT_CHARS
    assert "more than 2000 tokens" in _message(await api.post(query, tenant.reseller))


async def test_document_length_limit_is_checked_before_parsing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Comments and white space are free for the token limit, not for the length limit."""
    tenant = await seed(api)
    counting = Counting(monkeypatch)
    query = "{ me { role } }\n#" + "x" * MAX_DOCUMENT_CHARS
    message = _message(await api.post(query, tenant.reseller))
    assert message.startswith(f"The document is longer than {MAX_DOCUMENT_CHARS} characters")
    assert counting.parses == 0
    # variables are not part of the document: a large package source still goes through
    source = 'package "Big" { currency USD markup 20% + 0.0000 }\n' + "# note\n" * 5_000
    body = await api.post(
        "mutation($s: String!) { publishPackage(source: $s) { __typename } }",
        tenant.reseller,
        s=source,
    )
    assert "errors" not in body, body


async def test_field_count_is_checked_before_validation(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe of issue #10: 330 ``me { role resellerId }`` in one selection set (6.6 KB)
    took 1.1 s of validation, 100 of them 0.48 s; now both are refused by one pass over
    the parsed tree, before validation."""
    tenant = await seed(api)
    counting = Counting(monkeypatch)
    body = await api.post("{" + "me{role resellerId}" * 330 + "}", tenant.reseller)
    assert _message(body) == f"The document selects more than {MAX_FIELDS} fields"
    body = await api.post("{" + "me{role resellerId}" * 100 + "}", tenant.reseller)
    message = f"'me' is selected 100 times at one path of the response (at most {MAX_REPEATS})"
    assert _message(body) == message
    assert body["errors"][0]["locations"] == [{"line": 1, "column": 2}]
    node = "edges { node { id name suspended } }"
    many = "{ " + " ".join(f"a{i}: clients {{ {node} }}" for i in range(100))
    body = await api.post(many + " }", tenant.reseller)
    assert _message(body) == f"The document selects more than {MAX_FIELDS} fields"
    assert (counting.parses, counting.validations) == (3, 0)


async def test_without_a_valid_token_only_login_is_parsed(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No parsing for a document that cannot be a login; no validation for one that asks
    anything else; a login is served with no token and with a stale one."""
    w = await world(api)
    counting = Counting(monkeypatch)
    refused = [
        ("{ me { role } }", None),
        ("{ clients { edges { node { id } } } }", "pb_not_a_token"),
        ("{" + "me{role resellerId}" * 330 + "}", None),
        ("{ me { role } }\n# login" + "x" * PUBLIC_DOCUMENT_CHARS, None),
    ]
    for query, token in refused:
        body = await api.post(query, token)
        assert body == {"data": None, "errors": [{"message": "Not authenticated"}]}, query
    assert counting.parses == 0
    for query in (
        "{ me { role } } # login",
        'mutation { login(username: "a", password: "b") { __typename } createClient { id } }',
        "query login { me { role } }",
    ):
        body = await api.post(query)
        assert body == {"data": None, "errors": [{"message": "Not authenticated"}]}, query
    assert counting.parses == 3
    assert counting.validations == 0
    PUBLIC_DOCUMENTS.clear()
    for token in (None, "pbs_expired_or_made_up", None):
        got = await api.data(LOGIN, token, u=w.a_login, p=PASSWORD)
        assert got["login"]["__typename"] == "PortalSession"
    assert (counting.parses, counting.validations) == (4, 1)  # then the login is cached
    assert len(PUBLIC_DOCUMENTS) == 1


async def test_introspection_is_off(api: Api) -> None:
    tenant = await seed(api)
    body = await api.post("{ __schema { types { name } } }", tenant.reseller)
    assert "introspection" in _message(body).lower()


async def test_no_field_suggestions(api: Api) -> None:
    tenant = await seed(api)
    message = _message(await api.post("{ clientz { edges { node { id } } } }", tenant.reseller))
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


async def test_the_password_reset_mutations_are_served_without_a_token(api: Api) -> None:
    """The portal's public reset mutations pass the anonymous gate; nothing else does."""
    ask = 'mutation { requestPasswordReset(reseller: "100001", login: "x") { __typename } }'
    done = 'mutation { resetPassword(token: "t", newPassword: "p") { __typename } }'
    for query in (ask, done):
        body = await api.post(query)
        assert "errors" not in body, body
    mixed = ask.replace("{ __typename } }", "{ __typename } me: clients(first: 1) { __typename } }")
    assert await api.post(mixed) == {"data": None, "errors": [{"message": "Not authenticated"}]}
