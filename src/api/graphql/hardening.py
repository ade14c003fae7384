"""Limits and protections every request goes through (see ``docs/api.md``).

Depth, alias and token limits reject a document before execution with a clean error;
introspection is off unless ``--dev``; resolver crashes are masked; the parser and
validation caches make repeated documents cheap; operations over a websocket must be
subscriptions and subscriptions must come over a websocket.

All of it is one schema extension, :class:`Hardening`: strawberry builds the extensions
afresh for every operation and wraps every hook of each in a context manager; with the
seven stock extensions this used to be (``MaxTokensLimiter``, ``ParserCache``,
``DisableIntrospection``, ``AddValidationRules``, ``ValidationCache``, ``MaskErrors`` and a
transport rule), that machinery was about a third of the CPU of ``{ __typename }``
(sampled with py-spy).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from functools import lru_cache, partial
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule, parse
from strawberry.extensions import MaskErrors, SchemaExtension
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType

from api.graphql import client_surface
from api.graphql.errors import should_mask

MAX_DEPTH = 6  # clients.edges.node.cdrs.edges.node (rule.kind beyond it is refused)
MAX_ALIASES = 15
MAX_TOKENS = 2000
CACHE_SIZE = 1024

LIMIT_RULES = (max_depth_rule(MAX_DEPTH, None), max_aliases_rule(MAX_ALIASES))
"""The depth and alias limits as validation rules, built *once*. strawberry's
``QueryDepthLimiter`` and ``MaxAliasesLimiter`` build a new rule class per instance, i.e.
per operation; the rules are part of the validation cache's key, so with them every
request missed the cache and walked the whole document again (≈ 5 ms a request)."""
PRODUCTION_RULES = (*LIMIT_RULES, NoSchemaIntrospectionCustomRule)

_parse = lru_cache(maxsize=CACHE_SIZE)(parse)
"""The parser cache: the same query text and options give the same ``DocumentNode``."""

_VALIDATED: OrderedDict[tuple[int, int, tuple[Any, ...]], tuple[Any, Any, list[GraphQLError]]] = (
    OrderedDict()
)


class Hardening(MaskErrors):
    """Every protection, as one extension (``dev`` keeps introspection):

    - the token limit, applied by the (cached) parser;
    - the depth and alias limits, and no introspection, as validation rules;
    - validation cached by the *identity* of the parsed document: strawberry's
      ``ValidationCache`` is an ``lru_cache`` over (schema, document, rules), whose lookup
      hashes the whole document tree node by node (≈ 6 % of a small query's CPU); the
      parser cache hands out the same ``DocumentNode`` for the same text, and each entry
      keeps its document and schema alive, so their ids are not reused while it is cached;
    - only subscriptions over the websocket, and subscriptions only there (the view);
    - a client session only on its portal root fields (:mod:`api.graphql.client_surface`);
    - unexpected errors masked (``MaskErrors``; its result check, a runtime ``Protocol``
      ``isinstance``, replaced by an attribute read).
    """

    def __init__(self, *, dev: bool) -> None:
        super().__init__(should_mask_error=should_mask, error_message="Unexpected error")
        self._rules = LIMIT_RULES if dev else PRODUCTION_RULES

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        context.validation_rules = context.validation_rules + self._rules
        yield from super().on_operation()

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = _parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        schema, document = context.schema._schema, context.graphql_document
        rules = tuple(context.validation_rules)
        key = (id(schema), id(document), rules)
        cached = _VALIDATED.get(key)
        if cached is not None and cached[0] is schema and cached[1] is document:
            _VALIDATED.move_to_end(key)
            errors = cached[2]
        else:
            assert document is not None  # validation runs after a successful parse
            errors = validate_document(schema, document, rules)
            _VALIDATED[key] = (schema, document, errors)
            if len(_VALIDATED) > CACHE_SIZE:
                _VALIDATED.popitem(last=False)
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
        if errors:
            result.errors = self._process_errors(errors)  # type: ignore[attr-defined]


ExtensionFactory = Callable[[], SchemaExtension]


def extensions(*, dev: bool) -> list[ExtensionFactory]:
    """The schema's extension factories: one :class:`Hardening` per operation (the parser
    and validation caches are module-level, shared by all)."""
    return [partial(Hardening, dev=dev)]
