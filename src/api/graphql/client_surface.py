"""The part of the schema a client's portal session may use, and the guard that holds it.

A client token may select only the root fields named in :data:`CLIENT_ROOT_FIELDS`; an
operation that selects any other root field (``client``, ``dids``, ``cdrReport``,
``pricePreview``, every reseller mutation, and whatever is added later) is refused as a
whole with ``Forbidden`` before anything runs, whatever its arguments. The types those
root fields return have no cost-revealing field (:mod:`api.graphql.types.portal`), so what
a client can read is fixed by the schema, not by checks inside resolvers.
``tests/api/graphql/test_client_surface.py`` walks every type reachable from these root
fields and compares each ``Type.field`` with an allow-list.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.types import ExecutionContext

from api.compat.strawberry import OperationType
from api.domain.actor import Role
from api.graphql.errors import Forbidden

CLIENT_ROOT_FIELDS: Mapping[str, frozenset[str]] = {
    "query": frozenset({"me", "myClient", "myCdrReport", "sipPassword"}),
    "mutation": frozenset({"login", "logout", "orderDid"}),
    "subscription": frozenset({"balanceChanged", "lowBalance", "suspensionChanged"}),
}
"""Root fields a client may select, by operation type (GraphQL names)."""


def refused_root_fields(document: DocumentNode, operation_name: str | None) -> list[str]:
    """The root fields of the operation to run that a client may not select (in order;
    ``__typename`` and the introspection fields are always allowed)."""
    operation = _operation(document, operation_name)
    if operation is None:
        return []  # graphql-core reports the missing or ambiguous operation itself
    allowed = CLIENT_ROOT_FIELDS.get(operation.operation.value, frozenset())
    fragments = {
        d.name.value: d.selection_set
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    return [
        name
        for name in _root_names(operation.selection_set, fragments, set())
        if name not in allowed and not name.startswith("__")
    ]


def guard(context: ExecutionContext) -> None:
    """Refuse a client's operation that selects a root field outside its surface (called
    by :class:`~api.graphql.hardening.Hardening` before execution): a query or mutation
    gets the ``Forbidden`` result; a subscription raises :class:`Forbidden`, since
    strawberry's subscribe path reports what this hook raises but not a result it sets."""
    actor = getattr(context.context, "actor", None)
    document = context.graphql_document
    if actor is None or actor.role is not Role.CLIENT or document is None:
        return
    refused = refused_root_fields(document, context.operation_name)
    if not refused:
        return
    if context.operation_type is OperationType.SUBSCRIPTION:
        raise Forbidden
    context.result = ExecutionResult(
        data=None, errors=[GraphQLError("Forbidden", path=[refused[0]])]
    )


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


def _root_names(
    selection_set: SelectionSetNode, fragments: dict[str, SelectionSetNode], seen: set[str]
) -> Iterator[str]:
    """Field names selected at the root, through inline fragments and fragment spreads."""
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection.name.value
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_names(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:  # cycles are validation errors
                seen.add(name)
                yield from _root_names(fragments[name], fragments, seen)
