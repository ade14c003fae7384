"""A graphql-core executor that completes *plain* selections without per-field machinery.

graphql-core executes every field the same way: a ``Path``, a resolve-info object, the
resolver, ``complete_value`` through the wrapping types, an awaitable check, an error
guard. For a page of 20 CDRs that is ~150 fields and about two thirds of a request's CPU,
though most of those fields only read an attribute and serialize a scalar.

:class:`PlainFieldExecutor` plans each selection once per request. A field is *plain*
when strawberry resolves it by ``getattr`` (no resolver, no field extension, no
arguments), it is not deferred, no middleware wraps resolvers, and its type is a scalar or
enum, an object type without ``is_type_of``, or a list of those, whose own selection is
plain too. Plain fields are completed by a tight loop of ``getattr`` and
``coerce_output_value``; the other fields go through graphql-core unchanged.

The plain loop calls nothing but attribute reads and scalar coercion, so it can be thrown
away and redone: whenever it meets anything it does not handle (a null where the type is
non-null, a value that does not coerce, a non-list for a list), that field is executed again
by graphql-core, which then produces exactly its usual result and error.
``tests/api/graphql/test_plain_executor.py`` compares both executors on many documents.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    Undefined,
    is_leaf_type,
)
from graphql.pyutils import Path

from api.compat.graphql_core import FieldDetailsList, GroupedFieldSet
from api.compat.strawberry import StrawberryGraphQLCoreExecutionContext
from api.graphql.document_cache import DOCUMENTS

_STRAWBERRY_FIELD = "strawberry-definition"
_LEAF, _OBJECT, _LIST = 0, 1, 2


class _Plain(NamedTuple):
    """How to complete one plain field: ``getattr(source, attr)`` then by ``kind``."""

    response_name: str
    attr: str
    kind: int
    non_null: bool
    coerce: Callable[[Any], Any] | None  # leaves
    selection: tuple[_Plain, ...]  # objects and list items
    item_non_null: bool  # lists


class _Redo(Exception):
    """The plain loop met something only graphql-core completes correctly."""


SharedPlan = tuple[tuple[Any, ...], tuple[_Plain | None, ...], bool]
"""A plan shared between requests: (what keeps its key's ids alive, steps, any plain)."""

_Step = _Plain | tuple[str, FieldDetailsList]  # plain, or (response name, graphql-core's)


def _complete(selection: tuple[_Plain, ...], source: Any) -> dict[str, Any]:
    """The response object for ``source``; raises on anything unusual (then redone)."""
    return {field.response_name: _value(field, source) for field in selection}


def _value(field: _Plain, source: Any) -> Any:
    """The completed value of one plain field of ``source``."""
    value = getattr(source, field.attr)
    if value is None:
        if field.non_null:
            raise _Redo
        return None
    if field.kind == _LEAF:
        coerced = field.coerce(value)  # type: ignore[misc]
        if coerced is None or coerced is Undefined:
            raise _Redo
        return coerced
    if field.kind == _OBJECT:
        return _complete(field.selection, value)
    if not isinstance(value, list | tuple):
        raise _Redo
    items: list[Any] = []
    for item in value:
        if item is None:
            if field.item_non_null:
                raise _Redo
            items.append(None)
        else:
            items.append(_complete(field.selection, item))
    return items


class PlainFieldExecutor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor with plain fields completed in one loop (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        self._plain_allowed = manager is None or not manager.middlewares
        self._plans: dict[int, tuple[GroupedFieldSet, tuple[_Step, ...], bool]] = {}
        self._shared: dict[tuple[int, ...], SharedPlan] | None = None
        self._directive_free: bool | None = None

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        steps, any_plain = self._plan(parent_type, grouped_field_set)
        if not any_plain:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        results: dict[str, Any] = {}
        pending: list[tuple[str, FieldDetailsList]] = []
        for step in steps:
            if type(step) is _Plain:
                try:
                    results[step.response_name] = _value(step, source_value)
                    continue
                except Exception:
                    step = (step.response_name, grouped_field_set[step.response_name])
            pending.append(step)  # type: ignore[arg-type]
        if not pending:
            return results
        rest = super().execute_fields(
            parent_type, source_value, path, dict(pending), position_context
        )
        return _merged(results, rest, list(grouped_field_set), self.is_awaitable)

    def _plan(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> tuple[tuple[_Step, ...], bool]:
        """The steps for a selection and whether any is plain: once per request (graphql-core
        memoizes the selections of list items, so a page of rows shares one plan), and once
        per document when the document has no directives and is cached: the plans live in
        its entry of :data:`~api.graphql.document_cache.DOCUMENTS` and go with it."""
        if not self._plain_allowed:
            return (), False
        cached = self._plans.get(id(grouped_field_set))
        if cached is not None and cached[0] is grouped_field_set:
            return cached[1], cached[2]
        shared_key = self._shared_key(parent_type, grouped_field_set)
        shared_plans = self._shared if shared_key is not None else None
        shared = None
        if shared_plans is not None and shared_key is not None:
            shared = shared_plans.get(shared_key)
        if shared is not None:
            plain_steps, any_plain = shared[1], shared[2]
        else:
            plain_steps = tuple(
                self._plain(parent_type, name, details)
                for name, details in grouped_field_set.items()
            )
            any_plain = any(step is not None for step in plain_steps)
            if shared_plans is not None and shared_key is not None:
                keep_alive = (parent_type, *_nodes(grouped_field_set))
                shared_plans[shared_key] = (keep_alive, plain_steps, any_plain)
        steps = tuple(
            step or (name, details)
            for step, (name, details) in zip(plain_steps, grouped_field_set.items(), strict=True)
        )
        self._plans[id(grouped_field_set)] = (grouped_field_set, steps, any_plain)
        return steps, any_plain

    def _shared_key(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> tuple[int, ...] | None:
        """The key of a selection's plan shared between requests, or None when the document
        is not cached or the plan may depend on the variables (the document has a
        directive: ``@skip(if: $v)``…)."""
        if self._directive_free is None:
            loc = self.operation.loc
            self._directive_free = loc is not None and "@" not in loc.source.body
            entry = DOCUMENTS.entry_of(self.operation) if self._directive_free else None
            self._shared = None if entry is None else entry.plans
        if self._shared is None:
            return None
        return (id(parent_type), *map(id, _nodes(grouped_field_set)))

    def _plain(
        self, parent_type: GraphQLObjectType, response_name: str, details: FieldDetailsList
    ) -> _Plain | None:
        """The plain completion of a field, or None when graphql-core must execute it."""
        if any(
            d.defer_usage is not None or d.fragment_variable_values is not None or d.node.arguments
            for d in details
        ):
            return None
        field_def = self.schema.get_field(parent_type, details[0].node.name.value)
        attr = _plain_attribute(field_def)
        if field_def is None or attr is None:
            return None
        field_type: GraphQLOutputType = field_def.type
        non_null = isinstance(field_type, GraphQLNonNull)
        if non_null:
            field_type = field_type.of_type  # type: ignore[union-attr]
        if is_leaf_type(field_type):
            coerce = field_type.coerce_output_value
            return _Plain(response_name, attr, _LEAF, non_null, coerce, (), False)
        kind, item_non_null = _OBJECT, False
        if isinstance(field_type, GraphQLList):
            kind, field_type = _LIST, field_type.of_type
            item_non_null = isinstance(field_type, GraphQLNonNull)
            if item_non_null:
                field_type = field_type.of_type  # type: ignore[union-attr]
        if not isinstance(field_type, GraphQLObjectType) or field_type.is_type_of is not None:
            return None
        selection = self._plain_selection(field_type, details)
        if selection is None:
            return None
        return _Plain(response_name, attr, kind, non_null, None, selection, item_non_null)

    def _plain_selection(
        self, object_type: GraphQLObjectType, details: FieldDetailsList
    ) -> tuple[_Plain, ...] | None:
        """The sub-selection of an object field when all of it is plain, else None."""
        grouped, new_defer_usages, _ = self.collect_subfields(object_type, details)
        if new_defer_usages:
            return None
        selection = []
        for name, sub_details in grouped.items():
            plain = self._plain(object_type, name, sub_details)
            if plain is None:
                return None
            selection.append(plain)
        return tuple(selection)


def _merged(
    plain: dict[str, Any], rest: Any, order: list[str], is_awaitable: Callable[[Any], bool]
) -> Any:
    """The plain results and graphql-core's (``rest``, maybe awaitable) in response order."""

    def merged(done: dict[str, Any]) -> dict[str, Any]:
        combined = {**plain, **done}
        return {name: combined[name] for name in order if name in combined}

    if is_awaitable(rest):

        async def awaited() -> dict[str, Any]:
            return merged(await rest)

        return awaited()
    return merged(rest)


def _nodes(grouped_field_set: GroupedFieldSet) -> list[Any]:
    return [d.node for details in grouped_field_set.values() for d in details]


def _plain_attribute(field_def: GraphQLField | None) -> str | None:
    """The attribute a field reads when strawberry resolves it by ``getattr``."""
    if field_def is None or not getattr(field_def.resolve, "_is_default", False):
        return None
    field = (field_def.extensions or {}).get(_STRAWBERRY_FIELD)
    if field is None or field.default_resolver is not getattr or not field.is_basic_field:
        return None
    name: str = field.python_name
    return name
