"""Every string of a GraphQL request checked once, before execution: no NUL, no lone
surrogate (:func:`api.domain.text.text_problem`), in variables and in the document.

A refusal is a GraphQL error naming where the text is, in the request's own names
(``input.name``, ``cdrs[3].callId``), with ``extensions.code = "BAD_USER_INPUT"`` and
``extensions.field``; nothing is executed, so nothing is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError, StringValueNode, parse, visit
from graphql.language import Visitor

from api.domain.text import NUL_MESSAGE, text_problem
from api.graphql.limits import MAX_TOKENS

_NUL_ESCAPE = re.compile(r"\\u(?:0000|\{0+\})")


def bad_input(field: str, message: str) -> GraphQLError:
    """The typed refusal of one input value."""
    return GraphQLError(
        f"Invalid input at {field}: {message}",
        extensions={"code": "BAD_USER_INPUT", "field": field},
    )


def request_problem(
    query: str | None, variables: Mapping[str, Any] | None, operation_name: str | None
) -> GraphQLError | None:
    """The first string of the request that no store accepts, as a GraphQL error."""
    for field, value in (("query", query), ("operationName", operation_name)):
        if isinstance(value, str) and (problem := text_problem(value)):
            return bad_input(field, problem)
    if query is not None and _NUL_ESCAPE.search(query) and _document_has_nul(query):
        return bad_input("query", f"a string literal {NUL_MESSAGE}")
    for field, problem in _variable_problems(variables or {}, ""):
        return bad_input(field, problem)
    return None


def _variable_problems(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        if problem := text_problem(value):
            yield path, problem
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if problem := text_problem(key):
                yield f"{path}.<key>" if path else "<key>", problem
                continue
            yield from _variable_problems(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _variable_problems(item, f"{path}[{index}]")


class _NulFinder(Visitor):
    found = False

    def enter_string_value(self, node: StringValueNode, *_args: object) -> None:
        if "\x00" in node.value:
            self.found = True


def _document_has_nul(query: str) -> bool:
    """Whether a string literal of the document decodes to a NUL (``"\\u0000"``)."""
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLSyntaxError:
        return False  # the regular parse reports it
    finder = _NulFinder()
    visit(document, finder)
    return finder.found
