"""Parsed documents kept for reuse, bounded by an estimate of the memory they take.

One entry per query text holds everything derived from it: the parsed ``DocumentNode``,
its validation results (per schema and rule set) and the executor's plans of its selections
(:class:`~api.graphql.executor.PlainFieldExecutor`). Evicting the entry drops all of it at
once, so nothing else keeps a document's nodes (and through them its whole source) alive.

The cache is a least-recently-used map weighed in bytes, by :func:`weight`: a fixed part
per entry, three times the text (the key, the parsed source, and a comment's token may
each hold it) and a part per field selected (the tree, its tokens and locations,
validation errors and plans grow with the fields). Measured with tracemalloc, averaged
over 30 distinct documents each, against the estimate: a small query 13 KB (16 KB), an
8 KB text that is mostly a comment 29 KB (41 KB), 8 KB of 470 fields 324 KB (361 KB).
The cache holds at most ``max_bytes`` of them, and only texts of at most
``max_document_chars`` (a longer document is parsed, validated and planned for its request
only). Before, a parser cache of 1,024 documents, a validation cache of 1,024 and 4,096
shared plans, each entry keeping its document alive, held 3.5 GB after 1,800 distinct 1 MB
requests.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode

from api.graphql.limits import CACHEABLE_DOCUMENT_CHARS, PUBLIC_DOCUMENT_CHARS

DOCUMENT_CACHE_BYTES = 16 * 2**20
"""The estimated memory of the documents kept (:func:`weight`)."""
ENTRY_BYTES = 16_384
FIELD_BYTES = 700


def weight(query: str, fields: int) -> int:
    """The estimated bytes of a cached document: entry, text, and per field selected."""
    return ENTRY_BYTES + 3 * len(query) + FIELD_BYTES * fields


ValidationKey = tuple[int, tuple[type, ...]]


@dataclass(eq=False, slots=True)
class CachedDocument:
    """A parsed document and what was derived from it, alive while the entry is cached."""

    document: DocumentNode
    bytes: int
    validations: dict[ValidationKey, tuple[object, list[GraphQLError]]] = field(
        default_factory=dict
    )
    """(id of the schema, rules) → (the schema, kept so its id is not reused; errors)."""
    plans: dict[tuple[int, ...], Any] = field(default_factory=dict)
    """The executor's shared plans of this document's selections (its own key and value)."""


class DocumentCache:
    """An LRU of :class:`CachedDocument` by query text, weighed by :func:`weight`."""

    def __init__(self, max_bytes: int, max_document_chars: int) -> None:
        self.max_bytes = max_bytes
        self.max_document_chars = max_document_chars
        self.bytes = 0
        self._entries: OrderedDict[str, CachedDocument] = OrderedDict()
        self._by_operation: dict[int, CachedDocument] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, query: str) -> CachedDocument | None:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
        return entry

    def put(self, query: str, document: DocumentNode, fields: int) -> CachedDocument | None:
        """Keep ``document`` (parsed from ``query``, selecting ``fields``) unless the text
        is too long to cache; the least recently used entries go until the total fits."""
        size = weight(query, fields)
        if len(query) > self.max_document_chars or size > self.max_bytes:
            return None
        self.discard(query)
        entry = CachedDocument(document, size)
        self._entries[query] = entry
        self.bytes += size
        for operation in _operations(document):
            self._by_operation[id(operation)] = entry
        while self.bytes > self.max_bytes:
            self._evict(next(iter(self._entries)))
        return entry

    def entry_of(self, operation: OperationDefinitionNode) -> CachedDocument | None:
        """The entry whose document holds ``operation`` (none when it is not cached). Ids
        are unambiguous: an entry keeps its document's nodes alive while registered."""
        entry = self._by_operation.get(id(operation))
        if entry is None or not any(op is operation for op in _operations(entry.document)):
            return None
        return entry

    def discard(self, query: str) -> None:
        if query in self._entries:
            self._evict(query)

    def clear(self) -> None:
        self._entries.clear()
        self._by_operation.clear()
        self.bytes = 0

    def _evict(self, query: str) -> None:
        entry = self._entries.pop(query)
        self.bytes -= entry.bytes
        for operation in _operations(entry.document):
            self._by_operation.pop(id(operation), None)


def _operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


DOCUMENTS = DocumentCache(DOCUMENT_CACHE_BYTES, CACHEABLE_DOCUMENT_CHARS)
"""The process's document cache, shared by every schema and signed-in request."""
PUBLIC_DOCUMENT_CACHE_BYTES = 2**20
PUBLIC_DOCUMENTS = DocumentCache(PUBLIC_DOCUMENT_CACHE_BYTES, PUBLIC_DOCUMENT_CHARS)
"""The login documents of callers without a credential (a few texts in practice), apart:
anonymous texts only ever push out each other."""
