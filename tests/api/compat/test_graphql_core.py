"""graphql-core's private API: the field collection types the plain executor plans with."""

from __future__ import annotations

import pytest

from api.compat.graphql_core import BELOW, LOWEST, VERSION, FieldDetailsList, GroupedFieldSet
from api.compat.versions import check_version, release


def test_the_installed_version_is_in_the_supported_range() -> None:
    assert LOWEST <= release(VERSION) < BELOW
    with pytest.raises(ImportError, match=r"graphql-core 3\.4\.0 is not supported"):
        check_version("graphql-core", LOWEST, BELOW, found="3.4.0")


def test_the_field_collection_types_exist() -> None:
    assert FieldDetailsList is not None
    assert GroupedFieldSet is not None
