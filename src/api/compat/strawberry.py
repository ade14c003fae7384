"""What Pulsebill takes from strawberry beyond its public API (checked at import).

strawberry validates a document with graphql-core's ``validate`` plus two rules of its
own (``Maybe`` and ``@oneOf`` inputs), in ``strawberry.schema.schema.validate_document``,
without passing ``hide_suggestions``: its ``disable_field_suggestions`` only removes the
"Did you mean" sentence afterwards, so every unknown field still costs an edit distance to
each field of its type, ≈ 4 ms for a long name (a document of 470 unknown fields took
0.4 s to validate). :func:`validate_document` runs the same rules without suggestions.
"""

from __future__ import annotations

from importlib.metadata import version

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

TESTED = (0, 341)
"""The strawberry-graphql release (major, minor) these imports were checked against."""

_installed = tuple(int(part) for part in version("strawberry-graphql").split(".")[:2])
if _installed != TESTED:  # pragma: no cover - a dependency upgrade
    raise ImportError(
        f"api.compat.strawberry was written for strawberry-graphql {TESTED}, found "
        f"{_installed}: check that strawberry.schema.schema.validate_document still adds "
        "only these rules, then update TESTED"
    )

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
