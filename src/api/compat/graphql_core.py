"""graphql-core's private API, in one place.

:mod:`api.graphql.executor` plans selections with the field collection types of
graphql-core's execution (``graphql.execution.collect_fields``, not exported by
``graphql``): a grouped field set maps each response name to its field details.
"""

from __future__ import annotations

from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet

from api.compat.versions import check_version

LOWEST = (3, 3, 2)
BELOW = (3, 4)
VERSION = check_version("graphql-core", LOWEST, BELOW)

__all__ = ["VERSION", "FieldDetailsList", "GroupedFieldSet"]
