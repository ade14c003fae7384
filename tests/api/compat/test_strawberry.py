"""strawberry-graphql's private API: what the adapter uses is there and behaves as used."""

from __future__ import annotations

import pytest
from graphql import GraphQLSchema, parse, specified_rules

from api.compat.strawberry import (
    BELOW,
    LOWEST,
    VERSION,
    OperationType,
    core_schema,
    max_aliases_rule,
    max_depth_rule,
    to_camel_case,
    validate_document,
)
from api.compat.versions import check_version, release
from api.graphql.schema import build_schema


def test_the_installed_version_is_in_the_supported_range() -> None:
    assert LOWEST <= release(VERSION) < BELOW
    with pytest.raises(ImportError, match=r"strawberry-graphql 0\.342\.0 is not supported"):
        check_version("strawberry-graphql", LOWEST, BELOW, found="0.342.0")


def test_the_core_schema_and_validation_with_the_hardening_rules() -> None:
    core = core_schema(build_schema())
    assert isinstance(core, GraphQLSchema)
    assert core.query_type is not None
    document = parse("{ a: __typename b: __typename c: __typename }")
    assert validate_document(core, document, (max_aliases_rule(2),), max_errors=10)
    assert not validate_document(core, document, (max_aliases_rule(3),), max_errors=10)
    deep = parse("{ clients { edges { node { id } } } }")
    assert validate_document(core, deep, (max_depth_rule(2, None),), max_errors=10)
    assert not validate_document(core, deep, (max_depth_rule(4, None),), max_errors=10)
    unknown = parse("{ clientz { id } }")
    (error,) = validate_document(core, unknown, tuple(specified_rules), max_errors=10)
    assert "Did you mean" not in error.message
    with pytest.raises(TypeError):
        core_schema(object())  # type: ignore[arg-type]


def test_small_helpers() -> None:
    assert to_camel_case("free_minutes_left") == "freeMinutesLeft"
    assert OperationType.SUBSCRIPTION.value == "subscription"
