"""strawberry-graphql's private API, in one place (the installed version is checked at
import; pyproject pins the same range).

What the GraphQL adapter uses of strawberry beyond its documented API:

- the graphql-core execution context strawberry builds on (:mod:`api.graphql.executor`
  extends it) and the graphql-core schema under a strawberry schema (:func:`core_schema`);
- document validation: strawberry validates with graphql-core's ``validate`` plus two
  rules of its own (``Maybe`` and ``@oneOf`` inputs), in
  ``strawberry.schema.schema.validate_document``, without passing ``hide_suggestions``:
  its ``disable_field_suggestions`` only removes the "Did you mean" sentence afterwards,
  so every unknown field still costs an edit distance to each field of its type, ≈ 4 ms
  for a long name (a document of 470 unknown fields took 0.4 s to validate).
  :func:`validate_document` runs the same rules without suggestions;
- the alias and depth validators of its extensions (``max_aliases_rule``,
  ``max_depth_rule``);
- a few types (``OperationType``, ``ScalarDefinition``, ``StrawberryObjectDefinition``,
  ``UnsetType``, ``GraphQLRequestData``) and its camel-case converter;
- two hooks of ``strawberry.asgi.GraphQL`` that the view overrides (``execute_single``,
  ``_get_stream_transport_from_headers``), checked here with their parameters.
"""

from __future__ import annotations

import inspect

import strawberry.asgi
from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.http import GraphQLRequestData
from strawberry.schema import BaseSchema
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.graphql import OperationType
from strawberry.types.scalar import ScalarDefinition
from strawberry.types.unset import UnsetType
from strawberry.utils.str_converters import to_camel_case

from api.compat.versions import check_version

LOWEST = (0, 341)
BELOW = (0, 342)
VERSION = check_version("strawberry-graphql", LOWEST, BELOW)
"""Checked against 0.341: that ``strawberry.schema.schema.validate_document`` adds only
:data:`STRAWBERRY_RULES`, and the hooks below."""

__all__ = [
    "STRAWBERRY_RULES",
    "VERSION",
    "GraphQLRequestData",
    "OperationType",
    "ScalarDefinition",
    "StrawberryGraphQLCoreExecutionContext",
    "StrawberryObjectDefinition",
    "UnsetType",
    "core_schema",
    "max_aliases_rule",
    "max_depth_rule",
    "to_camel_case",
    "validate_document",
]

_HOOKS = {
    "execute_single": [
        "self", "request", "request_adapter", "sub_response", "context", "root_value",
        "request_data",
    ],
    "_get_stream_transport_from_headers": ["self", "headers"],
}  # fmt: skip
for _name, _parameters in _HOOKS.items():
    _hook = getattr(strawberry.asgi.GraphQL, _name, None)
    if _hook is None or list(inspect.signature(_hook).parameters) != _parameters:
        raise ImportError(f"strawberry-graphql {VERSION}: GraphQL.{_name} is not as expected")

STRAWBERRY_RULES: tuple[type[ASTValidationRule], ...] = (
    MaybeNullValidationRule,
    OneOfInputValidationRule,
)


def validate_document(
    schema: GraphQLSchema,
    document: DocumentNode,
    rules: tuple[type[ASTValidationRule], ...],
    *,
    max_errors: int,
) -> list[GraphQLError]:
    """strawberry's validation, without "Did you mean" suggestions and with at most
    ``max_errors`` errors."""
    return validate(
        schema, document, (*rules, *STRAWBERRY_RULES), max_errors=max_errors, hide_suggestions=True
    )


def core_schema(schema: BaseSchema) -> GraphQLSchema:
    """The graphql-core schema strawberry built for ``schema``."""
    found = getattr(schema, "_schema", None)
    if not isinstance(found, GraphQLSchema):
        raise TypeError(f"strawberry-graphql {VERSION}: no graphql-core schema on {schema!r}")
    return found
