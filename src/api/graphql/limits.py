"""The size limits of a GraphQL document, and the cheap checks applied before validation.

graphql-core's validation is not linear in the document: ``OverlappingFieldsCanBeMerged``
compares every pair of fields sharing a response name in a selection set, and the
sub-selections of each pair in turn. ``{ me { role resellerId } me { … } … }`` with 330
``me`` (6.3 KB) took 1.1 s of CPU on the event loop; with 100, 0.48 s. So before a
document is validated, :func:`count_selections` walks its parsed tree once (linear, with
fragment spreads expanded and memoized) and refuses it when it selects too many fields in
all, or one response name too often in one selection set. The numbers (``docs/api.md``):
the largest query the schema allows without repeating a name selects 170 fields
(``clients`` with every nested list and every scalar), its deepest path has 8 fields
(``clients.edges.node.transactions.edges.node.change.currency``, depth 7).
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

MAX_DOCUMENT_CHARS = 20_000
"""The longest query text accepted (comments and white space count; they are free for the
token limit). Large inputs (package sources, decks, CDR batches) go in variables, which
only the body size limits."""
CACHEABLE_DOCUMENT_CHARS = 8_192
"""Only documents up to this length are kept by the document cache (parsed, validated,
execution plans)."""
MAX_TOKENS = 2000
MAX_FIELDS = 500
"""Field selections per document, each fragment counted once per spread."""
MAX_REPEATS = 12
"""Fields sharing one response name in one selection set (its fragments included): a union's
``__typename`` and ``message`` asked in each member's fragment repeat a few times."""
MAX_DEPTH = 8
"""Nesting of fields: the schema's deepest path is depth 7 (8 fields), one level to spare."""
MAX_ALIASES = 15
MAX_VALIDATION_ERRORS = 20
"""Validation stops after this many errors (graphql-core's default is 100)."""

PUBLIC_DOCUMENT_CHARS = 2_000
"""Without a valid credential only ``login`` is served, in a document at most this long…"""
PUBLIC_MAX_TOKENS = 200
"""… and of at most this many tokens (a login with both result fragments is about 40)."""
PUBLIC_MUTATIONS = ("login", "requestPasswordReset", "resetPassword")
"""The mutations a caller without a valid credential may select: logging in and the
portal's password reset (both throttled)."""
PUBLIC_FIELDS = frozenset({*PUBLIC_MUTATIONS, "__typename"})
"""The root fields a caller without a valid credential may select (mutations only)."""


def names_a_public_field(query: str) -> bool:
    """Whether the text could be a public document (a cheap look before any parsing)."""
    return any(name in query for name in PUBLIC_MUTATIONS)


class _TooMany(Exception):
    def __init__(self, message: str, node: FieldNode | None = None) -> None:
        super().__init__(message)
        self.node = node


def count_selections(document: DocumentNode) -> int:
    """The number of fields ``document`` selects (fragments expanded), or a
    ``GraphQLError`` saying which limit it exceeds (:data:`MAX_FIELDS`, :data:`MAX_REPEATS`).

    Two linear passes over the tree. The first counts the fields of the operations (and
    of the fragments no operation uses, which are validated all the same), each spread
    counting its fragment's fields, computed once per fragment. The second, run only
    when that count is within the limit (so it visits at most that many fields), merges
    the selections as validation and execution do: the fields of one response name at
    one path, whichever parent field, inline fragment or spread they come from, are one
    group, whose size is what validation compares pairwise. A fragment cycle counts as
    empty here (validation then refuses it)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    count = _Count(fragments)
    try:
        total = sum(count.selection_set(op.selection_set) for op in operations)
        reached = set(count.done)
        unused = [f for name, f in fragments.items() if name not in reached]
        total += sum(count.fragment(f.name.value) for f in unused)
        if total > MAX_FIELDS:
            raise _TooMany(_TOO_MANY_FIELDS)
        for definition in (*operations, *unused):
            _check_merged([definition.selection_set], fragments)
    except _TooMany as problem:
        raise GraphQLError(str(problem), problem.node) from None
    return total


_TOO_MANY_FIELDS = f"The document selects more than {MAX_FIELDS} fields"


class _Count:
    """Field counts with fragments expanded, each fragment's computed once."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.done: dict[str, int] = {}
        self.active: set[str] = set()

    def fragment(self, name: str) -> int:
        fields = self.done.get(name)
        if fields is not None:
            return fields
        definition = self.fragments.get(name)
        if definition is None or name in self.active:
            return 0  # unknown or cyclic: validation refuses it
        self.active.add(name)
        fields = self.selection_set(definition.selection_set)
        self.active.discard(name)
        self.done[name] = fields
        return fields

    def selection_set(self, selection_set: SelectionSetNode) -> int:
        fields = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                fields += 1
                if selection.selection_set is not None:
                    fields += self.selection_set(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                fields += self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                fields += self.fragment(selection.name.value)
            if fields > MAX_FIELDS:
                raise _TooMany(_TOO_MANY_FIELDS)
        return fields


def _check_merged(
    selection_sets: list[SelectionSetNode], fragments: dict[str, FragmentDefinitionNode]
) -> None:
    """Refuse a response name selected more than :data:`MAX_REPEATS` times at one path."""
    groups: dict[str, list[FieldNode]] = {}
    for selection_set in selection_sets:
        _collect(selection_set.selections, groups, fragments, set())
    for name, fields in groups.items():
        if len(fields) > MAX_REPEATS:
            raise _TooMany(
                f"'{name}' is selected {len(fields)} times at one path of the response "
                f"(at most {MAX_REPEATS})",
                fields[0],
            )
        subs = [f.selection_set for f in fields if f.selection_set is not None]
        if subs:
            _check_merged(subs, fragments)


def _collect(
    selections: Iterable[object],
    groups: dict[str, list[FieldNode]],
    fragments: dict[str, FragmentDefinitionNode],
    active: set[str],
) -> None:
    for selection in selections:
        if isinstance(selection, FieldNode):
            groups.setdefault((selection.alias or selection.name).value, []).append(selection)
        elif isinstance(selection, InlineFragmentNode):
            _collect(selection.selection_set.selections, groups, fragments, active)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            definition = fragments.get(name)
            if definition is not None and name not in active:
                active.add(name)
                _collect(definition.selection_set.selections, groups, fragments, active)
                active.discard(name)


def asks_beyond_login(document: DocumentNode) -> bool:
    """Whether ``document`` asks anything but ``login`` (then a caller without a valid
    credential is refused before validation)."""
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if definition.operation.value != "mutation":
            return True
        for selection in definition.selection_set.selections:
            if not isinstance(selection, FieldNode) or selection.name.value not in PUBLIC_FIELDS:
                return True
    return False
