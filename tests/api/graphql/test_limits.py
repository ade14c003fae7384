"""The document limits: counted on the parsed tree, sized so that every query passes."""

from __future__ import annotations

import time
from typing import Any

import pytest
from graphql import (
    GraphQLError,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
    is_required_argument,
    parse,
    specified_rules,
)
from strawberry.schema.schema import validate_document as strawberry_validate

from api.graphql.hardening import PRODUCTION_RULES, validate_document
from api.graphql.limits import (
    MAX_DEPTH,
    MAX_DOCUMENT_CHARS,
    MAX_FIELDS,
    MAX_REPEATS,
    MAX_TOKENS,
    MAX_VALIDATION_ERRORS,
    asks_beyond_login,
    count_selections,
)
from api.graphql.schema import build_schema

SCHEMA: GraphQLSchema = build_schema()._schema
RULES = (*specified_rules, *PRODUCTION_RULES)


def _problem(query: str) -> str | None:
    try:
        count_selections(parse(query, max_tokens=10**6))
    except GraphQLError as problem:
        return problem.message
    return None


def _fields(type_: Any) -> dict[str, Any]:
    if isinstance(type_, GraphQLUnionType):
        return {n: f for member in type_.types for n, f in member.fields.items()}
    fields: dict[str, Any] = type_.fields
    return fields


def _everything(type_: Any, seen: frozenset[str]) -> str:
    """A selection of every field of ``type_`` without required arguments, recursively
    (``... on`` each member of a union)."""
    if isinstance(type_, GraphQLUnionType):
        members = [m for m in type_.types if m.name not in seen]
        return " ".join(f"... on {m.name} {{ {_everything(m, seen)} }}" for m in members)
    parts = []
    for name, field in type_.fields.items():
        if any(is_required_argument(arg) for arg in field.args.values()):
            continue
        named = get_named_type(field.type)
        if is_leaf_type(named):
            parts.append(name)
        elif named.name not in seen:
            parts.append(f"{name} {{ {_everything(named, seen | {named.name})} }}")
    return " ".join(parts)


def _longest_path(type_: Any, seen: frozenset[str]) -> list[str]:
    best: list[str] = []
    for name, field in _fields(type_).items():
        named = get_named_type(field.type)
        if is_leaf_type(named):
            path = [name]
        elif named.name in seen:
            raise AssertionError(f"the schema has a cycle through {type_.name}.{name}")
        else:
            path = [name, *_longest_path(named, seen | {named.name})]
        best = max(best, path, key=len)
    return best


def test_every_path_of_the_schema_fits_the_depth_limit() -> None:
    """The schema has no cycle; its deepest path (depth = fields - 1) is within the limit,
    so the depth limit refuses no query a frontend can write (issue #11)."""
    roots = [t for t in (SCHEMA.query_type, SCHEMA.mutation_type, SCHEMA.subscription_type) if t]
    deepest = max((_longest_path(root, frozenset()) for root in roots), key=len)
    assert len(deepest) >= 8  # clients.edges.node.dids.edges.node.perMinutePrice.amount …
    assert len(deepest) - 1 <= MAX_DEPTH, ".".join(deepest)


def test_each_root_query_asking_everything_passes_every_limit() -> None:
    """Each root query asking every field it can without arguments (far more than one
    dashboard panel needs) fits the field, depth, token and length limits."""
    query = SCHEMA.query_type
    assert isinstance(query, GraphQLObjectType)
    asked = 0
    for name, field in query.fields.items():
        if any(is_required_argument(arg) for arg in field.args.values()):
            continue
        named = get_named_type(field.type)
        selection = "" if is_leaf_type(named) else _everything(named, frozenset({named.name}))
        document = f"{{ {name} {{ {selection} }} }}" if selection else f"{{ {name} }}"
        assert len(document) < MAX_DOCUMENT_CHARS, name
        parsed = parse(document, max_tokens=MAX_TOKENS)
        assert count_selections(parsed) < MAX_FIELDS, name
        assert validate_document(SCHEMA, parsed, RULES) == [], name
        asked += document.count("{")
    assert asked > 60  # all the nested connections were asked


def test_fields_are_counted_with_fragments_expanded() -> None:
    fragment = "fragment F on Viewer { " + " ".join(["role"] * 10) + " }"
    spreads = " ".join(f"a{i}: me {{ ...F }}" for i in range(MAX_FIELDS // 10))
    assert _problem(f"{{ {spreads} }} {fragment}") == (
        f"The document selects more than {MAX_FIELDS} fields"
    )
    assert _problem(f"{{ a0: me {{ ...F }} }} {fragment}") is None


def test_nested_spreads_do_not_explode() -> None:
    """Each fragment doubling the one below: 2**40 fields, refused at once (its repeated
    names or its field count, whichever is met first)."""
    chain = " ".join(f"fragment F{i} on Viewer {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40))
    started = time.perf_counter()
    problem = _problem("{ me { ...F0 } } " + chain + " fragment F40 on Viewer { role }")
    assert problem is not None
    assert time.perf_counter() - started < 0.5


def test_repeated_names_are_counted_across_fragments() -> None:
    half = MAX_REPEATS // 2 + 1
    a = "fragment A on Query { " + "me { role } " * half + "}"
    b = "fragment B on Query { " + "me { role } " * half + "}"
    assert _problem(f"{{ ...A ... on Query {{ ...B }} }} {a} {b}") == (
        f"'me' is selected {2 * half} times at one path of the response (at most {MAX_REPEATS})"
    )
    assert _problem(f"{{ ...A }} {a}") is None


def test_repeated_names_are_counted_where_selections_merge() -> None:
    """12 ``node`` each with 12 ``balance``: 144 ``balance`` at one path, which validation
    compares pairwise (180 ms), though no selection set holds more than 12."""
    node = "node { " + "balance { amount currency } " * MAX_REPEATS + "}"
    query = "{ clients { edges { " + node * MAX_REPEATS + "} } }"
    assert _problem(query) == (
        f"'balance' is selected {MAX_REPEATS**2} times at one path of the response "
        f"(at most {MAX_REPEATS})"
    )
    assert _problem("{ clients { edges { " + node + "} } }") is None


def test_a_union_asking_typename_in_each_member_passes() -> None:
    members = " ".join(f"... on T{i} {{ __typename message }}" for i in range(MAX_REPEATS - 1))
    assert _problem(f"{{ me {{ __typename {members} }} }}") is None


def test_fragment_cycles_are_left_to_validation() -> None:
    cyclic = "{ me { ...A } } fragment A on Viewer { ...B } fragment B on Viewer { ...A role }"
    assert _problem(cyclic) is None
    errors = validate_document(SCHEMA, parse(cyclic), RULES)
    assert any("within itself" in e.message for e in errors)


def test_the_check_costs_a_fraction_of_validation() -> None:
    """The worst documents within the limits validate quickly; the refused probe is
    refused far faster than it would have been validated."""
    probe = parse("{" + "me{role resellerId}" * 100 + "}")
    started = time.perf_counter()
    with pytest.raises(GraphQLError):
        count_selections(probe)
    check = time.perf_counter() - started
    started = time.perf_counter()
    validate_document(SCHEMA, probe, RULES)
    validation = time.perf_counter() - started
    assert check * 20 < validation, (check, validation)
    within = "{" + "me{role resellerId}" * MAX_REPEATS + "}"
    started = time.perf_counter()
    assert count_selections(parse(within)) == 3 * MAX_REPEATS
    validate_document(SCHEMA, parse(within), RULES)
    assert time.perf_counter() - started < validation / 5


def test_only_login_is_public() -> None:
    login = 'mutation { login(username: "a", password: "b") { __typename } __typename }'
    assert not asks_beyond_login(parse(login))
    for query in (
        "{ me { role } }",
        "query login { me { role } }",
        'mutation { login(username: "a", password: "b") { __typename } logout { ok } }',
        "mutation { ...F } fragment F on Mutation { login { __typename } }",
        "subscription { balanceChanged { clientId } }",
    ):
        assert asks_beyond_login(parse(query)), query


def test_unknown_fields_cost_no_suggestions() -> None:
    """strawberry computes "Did you mean" for each unknown field (an edit distance to each
    field of the type) and only then removes it; 470 unknown names of 16 characters took
    0.4 s. Validation runs without suggestions and stops after a few errors."""
    fields = " ".join(f"f{j}".ljust(16, "x") for j in range(470))
    document = parse(f"{{ {fields} }}")
    assert count_selections(document) == 470
    started = time.perf_counter()
    errors = validate_document(SCHEMA, document, RULES)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    strawberry_validate(SCHEMA, document, RULES)
    theirs = time.perf_counter() - started
    assert len(errors) == MAX_VALIDATION_ERRORS + 1  # the last says validation stopped
    assert errors[0].message == f"Cannot query field '{'f0'.ljust(16, 'x')}' on type 'Query'."
    assert ours * 2 < theirs, (ours, theirs)
