"""Limits and protections every request goes through (see ``docs/api.md``).

Work is bounded *before* it is done, cheapest check first:

1. a caller without a valid credential may only ``login``: a longer document, or one
   without the word ``login``, is refused without being parsed; a short one is parsed
   with a small token limit and refused unless its operations select only ``login``;
2. the length of the query text (:data:`~api.graphql.limits.MAX_DOCUMENT_CHARS`), before
   parsing; the token limit while parsing;
3. the number of fields and of repeated response names, counted on the parsed tree in one
   linear pass (:func:`~api.graphql.limits.count_selections`), before validation, whose
   overlapping-fields rule is quadratic and worse;
4. validation with the depth and alias limits, and no introspection, as rules, without
   field suggestions (:mod:`api.compat.strawberry`).

A document not yet cached is parsed, counted and validated in a thread of its own
(:data:`_DOCUMENT_WORKER`), not on the event loop.

Parsed documents, their validation and their execution plans are cached together in one
cache bounded by an estimate of their memory (:mod:`api.graphql.document_cache`); only
short documents are cached. Introspection is off unless ``--dev``; resolver crashes
are masked; operations over a websocket must be subscriptions and subscriptions must come
over a websocket.

All of it is one schema extension, :class:`Hardening`: strawberry builds the extensions
afresh for every operation and wraps every hook of each in a context manager; with the
seven stock extensions this used to be (``MaxTokensLimiter``, ``ParserCache``,
``DisableIntrospection``, ``AddValidationRules``, ``ValidationCache``, ``MaskErrors`` and a
transport rule), that machinery was about a third of the CPU of ``{ __typename }``
(sampled with py-spy).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    NoSchemaIntrospectionCustomRule,
    parse,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import MaskErrors, SchemaExtension

from api.compat.strawberry import (
    OperationType,
    core_schema,
    max_aliases_rule,
    max_depth_rule,
)
from api.compat.strawberry import validate_document as validate_with
from api.graphql import client_surface
from api.graphql.document_cache import DOCUMENTS, PUBLIC_DOCUMENTS, CachedDocument
from api.graphql.errors import should_mask
from api.graphql.limits import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_DOCUMENT_CHARS,
    MAX_TOKENS,
    MAX_VALIDATION_ERRORS,
    PUBLIC_DOCUMENT_CHARS,
    PUBLIC_MAX_TOKENS,
    asks_beyond_login,
    count_selections,
    names_a_public_field,
)

LIMIT_RULES = (max_depth_rule(MAX_DEPTH, None), max_aliases_rule(MAX_ALIASES))
"""The depth and alias limits as validation rules, built *once*. strawberry's
``QueryDepthLimiter`` and ``MaxAliasesLimiter`` build a new rule class per instance, i.e.
per operation; the rules are part of the validation cache's key, so with them every
request missed the cache and walked the whole document again (≈ 5 ms a request)."""
PRODUCTION_RULES = (*LIMIT_RULES, NoSchemaIntrospectionCustomRule)


def validate_document(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    """Validation without suggestions (:mod:`api.compat.strawberry`), stopping after
    :data:`~api.graphql.limits.MAX_VALIDATION_ERRORS` errors."""
    return validate_with(schema, document, rules, max_errors=MAX_VALIDATION_ERRORS)


NOT_AUTHENTICATED = "Not authenticated"
T = TypeVar("T")


class Hardening(MaskErrors):
    """Every protection, as one extension (``dev`` keeps introspection):

    - the credential, document-length, token, field-count and repeated-name limits, in
      :meth:`on_parse` (module docstring);
    - the depth and alias limits, and no introspection, as validation rules;
    - validation cached in the document's cache entry, i.e. by the *identity* of the parsed
      document: strawberry's ``ValidationCache`` is an ``lru_cache`` over (schema,
      document, rules), whose lookup hashes the whole document tree node by node (≈ 6 % of
      a small query's CPU);
    - only subscriptions over the websocket, and subscriptions only there (the view);
    - a client session only on its portal root fields (:mod:`api.graphql.client_surface`);
    - unexpected errors masked (``MaskErrors``; its result check, a runtime ``Protocol``
      ``isinstance``, replaced by an attribute read).
    """

    def __init__(self, *, dev: bool) -> None:
        super().__init__(should_mask_error=should_mask, error_message="Unexpected error")
        self._rules = LIMIT_RULES if dev else PRODUCTION_RULES
        self._entry: CachedDocument | None = None

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = context.validation_rules + self._rules
        yield from super().on_operation()

    async def on_parse(self) -> AsyncIterator[None]:
        """Parse (or reuse) the document once the caller and its size allow it; raising
        here ends the operation with that error, before any validation."""
        context = self.execution_context
        query = context.query or ""
        if getattr(context.context, "actor", None) is None:
            self._entry = _public_entry(query)
            context.graphql_document = self._entry.document
            yield
            return
        if len(query) > MAX_DOCUMENT_CHARS:
            raise GraphQLError(
                f"The document is longer than {MAX_DOCUMENT_CHARS} characters; "
                "pass large values as variables"
            )
        entry = DOCUMENTS.get(query)
        if entry is None:
            document, fields = await _off_loop(_parse_and_count, query)
            entry = DOCUMENTS.put(query, document, fields)
        else:
            document = entry.document
        self._entry = entry
        context.graphql_document = document
        yield

    async def on_validate(self) -> AsyncIterator[None]:
        context = self.execution_context
        schema, document = core_schema(context.schema), context.graphql_document
        assert document is not None  # validation runs after a successful parse
        rules = tuple(context.validation_rules)
        entry = self._entry
        if entry is None:
            errors = await _off_loop(validate_document, schema, document, rules)
            context.pre_execution_errors = errors
            yield
            return
        key = (id(schema), rules)
        cached = entry.validations.get(key)
        if cached is not None and cached[0] is schema:
            errors = cached[1]
        elif getattr(context.context, "actor", None) is None:  # a short login: inline
            errors = validate_document(schema, document, rules)
            entry.validations[key] = (schema, errors)
        else:
            errors = await _off_loop(validate_document, schema, document, rules)
            entry.validations[key] = (schema, errors)
        context.pre_execution_errors = errors
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        over_ws = bool(getattr(context.context, "websocket", False))
        if over_ws and context.operation_type is not OperationType.SUBSCRIPTION:
            context.result = GraphQLExecutionResult(
                data=None,
                errors=[GraphQLError("Only subscriptions are served over the websocket")],
            )
        else:
            client_surface.guard(context)  # a client session outside its portal fields
        yield

    def _process_result(self, result: object) -> None:
        errors = getattr(result, "errors", None)
        if errors:  # masked with MaskErrors' public hooks
            masked = [self.anonymise_error(e) if self.should_mask_error(e) else e for e in errors]
            setattr(result, "errors", masked)  # noqa: B010 - any result type with errors


ExtensionFactory = Callable[[], SchemaExtension]


def extensions(*, dev: bool) -> list[ExtensionFactory]:
    """The schema's extension factories: one :class:`Hardening` per operation (the
    document cache is module-level, shared by all)."""
    return [partial(Hardening, dev=dev)]


_DOCUMENT_WORKER = ThreadPoolExecutor(1, thread_name_prefix="graphql-documents")
"""Parses and validations of documents not in the cache run here, one at a time, off the
event loop: a document within the limits still takes up to ≈ 40 ms of parsing and
validation on this machine, and on the loop every await of every other request waited for
it (a dashboard query makes several; 2 signed-in clients sending a fresh 6 KB document
each took its median from 18 to 455 ms). In this thread the interpreter hands the loop the
GIL every 5 ms (``sys.getswitchinterval``); cached documents never come here."""


async def _off_loop(work: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(_DOCUMENT_WORKER, work, *args)


def _parse_and_count(query: str) -> tuple[DocumentNode, int]:
    document = parse(query, max_tokens=MAX_TOKENS)
    return document, count_selections(document)


def _public_entry(query: str) -> CachedDocument:
    """The parsed document of a caller without a valid credential, if it only logs in.

    No parsing at all unless the text is short and names ``login``; then a parse with a
    small token limit and a look at the root fields. Kept in a cache of their own
    (:data:`~api.graphql.document_cache.PUBLIC_DOCUMENTS`), so that anonymous texts never
    push out the documents of signed-in callers, and a flood of one login document costs
    no parsing or validation."""
    entry = PUBLIC_DOCUMENTS.get(query)
    if entry is not None:
        return entry
    if len(query) > PUBLIC_DOCUMENT_CHARS or not names_a_public_field(query):
        raise GraphQLError(NOT_AUTHENTICATED)
    document = parse(query, max_tokens=PUBLIC_MAX_TOKENS)
    if asks_beyond_login(document):
        raise GraphQLError(NOT_AUTHENTICATED)
    fields = count_selections(document)
    return PUBLIC_DOCUMENTS.put(query, document, fields) or CachedDocument(document, 0)
