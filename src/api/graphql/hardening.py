"""Limits and protections every request goes through (see ``docs/api.md``).

Depth, alias and token limits reject a document before execution with a clean error;
introspection is off unless ``--dev``; resolver crashes are masked; the parser and
validation caches make repeated documents cheap; operations over a websocket must be
subscriptions and subscriptions must come over a websocket.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
)
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType

from api.graphql.errors import should_mask

MAX_DEPTH = 6  # clients.edges.node.cdrs.edges.node (rule.kind beyond it is refused)
MAX_ALIASES = 15
MAX_TOKENS = 2000
CACHE_SIZE = 1024

LIMIT_RULES = (max_depth_rule(MAX_DEPTH, None), max_aliases_rule(MAX_ALIASES))
"""The depth and alias limits as validation rules, built *once*. strawberry's
``QueryDepthLimiter`` and ``MaxAliasesLimiter`` build a new rule class per instance, i.e.
per operation; the rule classes are part of the ``ValidationCache`` key, so with them every
request missed the cache and walked the whole document again (≈ 5 ms a request)."""


class TransportRules(SchemaExtension):
    """Subscriptions only over the websocket, and only subscriptions there."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        over_ws = bool(getattr(context, "websocket", False))
        subscription = self.execution_context.operation_type is OperationType.SUBSCRIPTION
        if over_ws and not subscription:
            self.execution_context.result = GraphQLExecutionResult(
                data=None,
                errors=[GraphQLError("Only subscriptions are served over the websocket")],
            )
        yield


_VALIDATED: OrderedDict[tuple[int, int, tuple[Any, ...]], tuple[Any, Any, list[GraphQLError]]] = (
    OrderedDict()
)


class DocumentValidationCache(SchemaExtension):
    """strawberry's ``ValidationCache`` keyed by the *identity* of the parsed document.

    ``ValidationCache`` is an ``lru_cache`` over (schema, document, rules): looking it up
    hashes the whole document tree, node by node (≈ 6 % of a small query's CPU). The
    parser cache hands out the same ``DocumentNode`` for the same query text, so its
    identity is a sound key; each entry keeps its document and schema alive, so their ids
    cannot be reused while it is cached. At most ``CACHE_SIZE`` entries (least recently
    used dropped)."""

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


ExtensionFactory = Callable[[], SchemaExtension]


def extensions(*, dev: bool) -> list[ExtensionFactory]:
    """Factories of the schema extensions, in order (a fresh set per operation; the parser
    and validation caches are module-level, shared by all); ``dev`` keeps introspection."""
    chosen: list[ExtensionFactory] = [
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(ParserCache, maxsize=CACHE_SIZE),
        partial(AddValidationRules, list(LIMIT_RULES)),
        DocumentValidationCache,
        TransportRules,
        partial(MaskErrors, should_mask_error=should_mask, error_message="Unexpected error"),
    ]
    if not dev:
        chosen.insert(2, DisableIntrospection)
    return chosen
