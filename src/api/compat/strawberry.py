"""strawberry-graphql's private API, in one place.

What the GraphQL adapter uses of strawberry beyond its documented API: the graphql-core
execution context strawberry builds on (:mod:`api.graphql.executor` extends it), the
document validation and the alias and depth validators it runs (the hardening), a few
types (``OperationType``, ``ScalarDefinition``, ``UnsetType``, ``GraphQLRequestData``),
its camel-case converter, the graphql-core schema under a strawberry schema, and two
hooks of ``strawberry.asgi.GraphQL`` the view overrides (``execute_single``,
``_get_stream_transport_from_headers``), checked here with their parameters.
"""

from __future__ import annotations

import inspect

import strawberry.asgi
from graphql import GraphQLSchema
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule
from strawberry.http import GraphQLRequestData
from strawberry.schema import BaseSchema
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, validate_document
from strawberry.types.graphql import OperationType
from strawberry.types.scalar import ScalarDefinition
from strawberry.types.unset import UnsetType
from strawberry.utils.str_converters import to_camel_case

from api.compat.versions import check_version

LOWEST = (0, 326, 1)
BELOW = (0, 342)
VERSION = check_version("strawberry-graphql", LOWEST, BELOW)

__all__ = [
    "VERSION",
    "GraphQLRequestData",
    "OperationType",
    "ScalarDefinition",
    "StrawberryGraphQLCoreExecutionContext",
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


def core_schema(schema: BaseSchema) -> GraphQLSchema:
    """The graphql-core schema strawberry built for ``schema``."""
    found = getattr(schema, "_schema", None)
    if not isinstance(found, GraphQLSchema):
        raise TypeError(f"strawberry-graphql {VERSION}: no graphql-core schema on {schema!r}")
    return found
