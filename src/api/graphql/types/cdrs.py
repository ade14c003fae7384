"""Rated (or unrated) calls, with every figure that explains the price."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import strawberry
from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode

from api.compat.strawberry import StrawberryObjectDefinition, to_camel_case
from api.graphql.context import Info
from api.graphql.loaders import CdrLine
from api.graphql.types.common import CallDirection, Money, direction_of, utc


@strawberry.type
class MatchedRule:
    kind: str
    text: str
    line: int | None


@strawberry.type
class Cdr:
    id: int
    source: str
    call_id: str
    status: str
    failure_reason: str
    client_id: int | None
    sub_account_id: int | None
    direction: CallDirection
    number: str
    started_at: datetime
    duration: int
    billed_seconds: int
    charged_seconds: int
    sell_rate: Money
    sell: Money
    rule: MatchedRule
    deck_prefix: str
    country: str
    route: str
    free_minutes_used: int
    on_net: bool
    _cost: strawberry.Private[Money]
    _cost_rate: strawberry.Private[Money]
    _profit: strawberry.Private[Money]

    @strawberry.field
    def cost(self, info: Info) -> Money | None:
        """What the operator charged the reseller; null for clients."""
        return None if _is_client(info) else self._cost

    @strawberry.field
    def cost_rate(self, info: Info) -> Money | None:
        """The operator's rate; null for clients."""
        return None if _is_client(info) else self._cost_rate

    @strawberry.field
    def profit(self, info: Info) -> Money | None:
        """The reseller's profit; null for clients."""
        return None if _is_client(info) else self._profit

    @classmethod
    def from_row(cls, row: CdrLine, currency: str) -> Cdr:
        """From a row of :data:`~api.graphql.loaders.CDR_COLUMNS` (a column the query did
        not ask for is NULL, see :func:`columns_read`, and stays None: never read)."""
        return cls(
            id=row.id,
            source=row.source,
            call_id=row.call_id,
            status=row.status,
            failure_reason=row.failure_reason,
            client_id=row.client_id,
            sub_account_id=row.sub_account_id,
            direction=direction_of(row.direction),
            number=row.number,
            started_at=_when(row.started_at),
            duration=row.duration,
            billed_seconds=row.billed_seconds,
            charged_seconds=row.charged_seconds,
            sell_rate=_money(row.sell_rate, currency),
            sell=_money(row.sell, currency),
            rule=MatchedRule(kind=row.rule_kind, text=row.rule_text, line=row.rule_line),
            deck_prefix=row.deck_prefix,
            country=row.country,
            route=row.route,
            free_minutes_used=row.free_minutes_used,
            on_net=row.on_net,
            _cost=_money(row.cost, currency),
            _cost_rate=_money(row.cost_rate, currency),
            _profit=_money(row.profit, currency),
        )


def _money(micros: int | None, currency: str) -> Money:
    return Money.of(micros, currency) if micros is not None else None  # type: ignore[return-value]


def _when(value: datetime | None) -> datetime:
    return utc(value) if value is not None else None  # type: ignore[return-value]


_RULE_COLUMNS = frozenset({"rule_kind", "rule_text", "rule_line"})


def _field_columns() -> dict[str, frozenset[str]]:
    """GraphQL field name of ``Cdr`` → the columns it reads."""
    from api.graphql.loaders import CDR_COLUMNS

    names = {str(column.key) for column in CDR_COLUMNS}
    columns: dict[str, frozenset[str]] = {"__typename": frozenset()}
    definition: StrawberryObjectDefinition = Cdr.__strawberry_definition__  # type: ignore[attr-defined]
    for field in definition.fields:
        graphql_name = field.graphql_name or to_camel_case(field.python_name)
        if field.python_name == "rule":
            columns[graphql_name] = _RULE_COLUMNS
        elif field.python_name in names:
            columns[graphql_name] = frozenset({field.python_name})
    return columns


def columns_read(info: Info) -> frozenset[str] | None:
    """The CDR columns the selection of this ``cdrs`` connection reads under
    ``edges { node { … } }`` (fragments included), or None (all) for anything else. Walks
    graphql-core's nodes (strawberry's ``selected_fields`` converts the whole selection,
    arguments included, at several times the cost)."""
    raw = info._raw_info
    fragments = raw.fragments
    wanted: set[str] = set()
    for connection in raw.field_nodes:
        for edges in _fields(connection, "edges", fragments):
            for node in _fields(edges, "node", fragments):
                for field in _fields(node, None, fragments):
                    read = _FIELD_COLUMNS.get(field.name.value)
                    if read is None:
                        return None
                    wanted |= read
    return frozenset(wanted)


def _fields(
    parent: FieldNode | InlineFragmentNode | FragmentDefinitionNode,
    name: str | None,
    fragments: dict[str, FragmentDefinitionNode],
) -> Iterator[FieldNode]:
    """The fields selected in ``parent`` (named ``name``, unless None), through fragments."""
    for selection in parent.selection_set.selections if parent.selection_set else ():
        if isinstance(selection, FieldNode):
            if name is None or selection.name.value == name:
                yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection, name, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            yield from _fields(fragments[selection.name.value], name, fragments)


def _is_client(info: Info) -> bool:
    actor = info.context.actor
    return actor is None or actor.role.value == "client"


_FIELD_COLUMNS = _field_columns()
