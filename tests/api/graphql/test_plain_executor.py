"""``PlainFieldExecutor`` answers exactly as graphql-core does: same data, same errors.

A small schema with every shape the executor treats specially (plain leaves, objects and
lists, nullability, enums, resolvers with and without arguments, unions, async fields),
executed by both executors over many documents and sources, including broken ones (a null
in a non-null field, an Int out of range, a non-list for a list).
"""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import Annotated, Any

import pytest
import strawberry
from hypothesis import given, settings
from hypothesis import strategies as st

from api.graphql.executor import PlainFieldExecutor


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Leaf:
    amount: int
    label: str | None
    colour: Colour


@strawberry.type
class Node:
    id: int
    name: str
    leaf: Leaf
    maybe_leaf: Leaf | None
    leaves: list[Leaf]
    loose_leaves: list[Leaf | None] | None

    @strawberry.field
    def shout(self, times: int = 1) -> str:
        return self.name.upper() * times

    @strawberry.field
    async def later(self) -> Leaf:
        await asyncio.sleep(0)
        return self.leaf


@strawberry.type
class Missing:
    reason: str


Found = Annotated[Node | Missing, strawberry.union("Found")]


def _node(n: int, **broken: Any) -> Node:
    leaf = Leaf(amount=n, label=None if n % 2 else f"l{n}", colour=Colour.RED)
    node = Node(
        id=n,
        name=f"node {n}",
        leaf=leaf,
        maybe_leaf=None if n % 3 else leaf,
        leaves=[Leaf(amount=n + k, label="x", colour=Colour.BLUE) for k in range(3)],
        loose_leaves=[leaf, None],
    )
    for name, value in broken.items():
        setattr(node, name, value)
    return node


SOURCES: dict[str, list[Node]] = {
    "fine": [_node(n) for n in range(4)],
    "null in a non-null field": [_node(1), _node(2, name=None)],
    "null leaf object": [_node(1, leaf=None)],
    "null list item": [_node(1, leaves=[Leaf(amount=1, label=None, colour=Colour.RED), None])],
    "int out of range": [_node(1, leaf=Leaf(amount=2**40, label="big", colour=Colour.RED))],
    "not a list": [_node(1, leaves=17)],
    "bad enum": [_node(1, leaf=Leaf(amount=1, label="x", colour="green"))],  # type: ignore[arg-type]
}


def _schema(executor: type | None, source: list[Node]) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def nodes(self) -> list[Node]:
            return source

        @strawberry.field
        def maybe_nodes(self) -> list[Node | None] | None:
            return source

        @strawberry.field
        def find(self, id: int) -> Found:
            found = [n for n in source if n.id == id]
            return found[0] if found else Missing(reason="no such node")

    return strawberry.Schema(query=Query, execution_context_class=executor)


DOCUMENTS = [
    "{ nodes { id name } }",
    "{ nodes { id leaf { amount label colour } } }",
    "{ nodes { leaves { amount colour } looseLeaves { amount } maybeLeaf { label } } }",
    "{ maybeNodes { id name leaf { amount } } }",
    "{ nodes { a: id b: id name c: leaf { d: amount } } }",
    "{ nodes { __typename id leaf { __typename amount } } }",
    "{ nodes { id shout shout3: shout(times: 3) later { amount } } }",
    "{ nodes { ...F leaf { ...L } } } fragment F on Node { id name } fragment L on Leaf { amount }",
    "{ nodes { id ... on Node { leaf { amount label } } } }",
    "{ nodes { id leaf { amount } leaf { label } } }",
    "query($s: Boolean!) { nodes { id name @skip(if: $s) leaf @include(if: $s) { amount } } }",
    "{ find(id: 1) { __typename ... on Node { id leaf { amount } } ... on Missing { reason } } }",
    "{ find(id: 99) { ... on Missing { reason } } }",
    "{ maybeNodes { id later { amount label } leaves { amount } } }",
]


def _outcome(result: Any) -> tuple[Any, list[tuple[str, Any]]]:
    errors = sorted((e.message, e.path) for e in result.errors or [])
    return result.data, errors


async def _both(document: str, source: list[Node], variables: dict[str, Any]) -> tuple[Any, Any]:
    plain = await _schema(PlainFieldExecutor, source).execute(document, variables)
    reference = await _schema(None, source).execute(document, variables)
    return _outcome(plain), _outcome(reference)


@pytest.mark.parametrize("source_name", list(SOURCES))
@pytest.mark.parametrize("document", DOCUMENTS)
async def test_same_answer_as_graphql_core(document: str, source_name: str) -> None:
    for skip in (True, False):
        plain, reference = await _both(document, SOURCES[source_name], {"s": skip})
        assert plain == reference


async def test_broken_rows_give_graphql_cores_errors() -> None:
    """Not vacuous: the broken sources do produce errors, located at the bad field."""
    plain, _ = await _both("{ nodes { id name } }", SOURCES["null in a non-null field"], {})
    data, errors = plain
    assert data is None
    message = "Cannot return null for non-nullable field Node.name."
    assert errors == [(message, ["nodes", 1, "name"])]
    plain, _ = await _both("{ maybeNodes { leaf { amount } } }", SOURCES["int out of range"], {})
    assert plain[0] == {"maybeNodes": [None]}
    assert plain[1][0][1] == ["maybeNodes", 0, "leaf", "amount"]


async def test_plain_fields_skip_graphql_cores_field_execution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The point of it: a page of plain rows is completed without ``execute_field``."""
    calls: list[str] = []
    original = PlainFieldExecutor.execute_field

    def counting(self: Any, parent_type: Any, *args: Any) -> Any:
        calls.append(parent_type.name)
        return original(self, parent_type, *args)

    monkeypatch.setattr(PlainFieldExecutor, "execute_field", counting)
    result = await _schema(PlainFieldExecutor, SOURCES["fine"]).execute(
        "{ nodes { id name leaf { amount label } leaves { amount } } }"
    )
    assert result.errors is None
    assert calls == ["Query"]  # only the root field, which has a resolver


leaf_values = st.builds(
    Leaf,
    amount=st.one_of(st.integers(-(2**33), 2**33), st.none()),
    label=st.one_of(st.text(max_size=3), st.none()),
    colour=st.sampled_from([Colour.RED, Colour.BLUE, None]),
)
node_values = st.builds(
    Node,
    id=st.one_of(st.integers(0, 5), st.none()),
    name=st.one_of(st.text(max_size=3), st.none()),
    leaf=st.one_of(leaf_values, st.none()),
    maybe_leaf=st.one_of(leaf_values, st.none()),
    leaves=st.one_of(st.lists(st.one_of(leaf_values, st.none()), max_size=3), st.none()),
    loose_leaves=st.one_of(st.lists(st.one_of(leaf_values, st.none()), max_size=3), st.none()),
)


@settings(max_examples=150, deadline=None)
@given(source=st.lists(st.one_of(node_values, st.none()), max_size=4))
def test_any_source_same_answer(source: list[Node]) -> None:
    document = (
        "{ nodes { id name leaf { amount label colour } maybeLeaf { amount } leaves { amount } "
        "looseLeaves { label } } maybeNodes { id leaves { colour } } }"
    )
    plain, reference = asyncio.run(_both(document, source, {}))
    assert plain == reference
