"""Operator mutations: decks, DID inventory, resellers."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry

from api.domain import errors as domain
from api.graphql.context import PLATFORM_CURRENCY, Info
from api.graphql.errors import (
    Conflict,
    DeckProblem,
    DeckRejected,
    InvalidInput,
    NotFound,
    common_problem,
    invalid,
)
from api.graphql.scalars import to_micros
from api.graphql.types.decks import DeckVersion
from api.graphql.types.dids import Did
from api.graphql.types.resellers import ApiToken, Reseller
from api.services import decks, resellers
from api.services import dids as did_service
from api.services.records import NewDid

MAX_DECK = 5_000_000

DeckResult = Annotated[
    DeckVersion | DeckRejected | InvalidInput | NotFound, strawberry.union("ImportDeckResult")
]


@strawberry.type
class ResellerCreated:
    reseller: Reseller
    token: ApiToken


ResellerResult = Annotated[
    ResellerCreated | InvalidInput | Conflict, strawberry.union("CreateResellerResult")
]


@strawberry.type
class AddedDids:
    dids: list[Did]


AddDidsResult = Annotated[AddedDids | InvalidInput | Conflict, strawberry.union("AddDidsResult")]


@strawberry.input
class DidInput:
    number: str
    monthly_cost: Decimal = Decimal(0)
    setup_cost: Decimal = Decimal(0)
    per_minute_cost: Decimal = Decimal(0)
    country: str = strawberry.field(
        default="", description="ISO 3166 alpha-2; empty: the country of the number."
    )


async def import_deck(info: Info, csv: str, name: str = "", activate: bool = False) -> DeckResult:
    """Store a deck CSV as a new version (``activate`` makes it rate calls from now on)."""
    context = info.context
    actor = context.require_role("operator")
    if len(csv) > MAX_DECK or len(name) > 200:
        return invalid("csv", f"at most {MAX_DECK} characters")
    try:
        view = await decks.import_deck(context.services, actor, csv, name=name, activate=activate)
    except domain.DeckRejected as exc:
        return DeckRejected(message=exc.message, problems=[_deck_problem(p) for p in exc.problems])
    except domain.ServiceError as exc:
        problem = common_problem(exc)
        return problem if not isinstance(problem, Conflict) else invalid("csv", problem.message)
    return DeckVersion.from_domain(view)


async def add_dids(info: Info, dids: list[DidInput]) -> AddDidsResult:
    context = info.context
    actor = context.require_role("operator")
    if not 1 <= len(dids) <= 1000:
        return invalid("dids", "between 1 and 1000 numbers")
    new: list[NewDid] = []
    for d in dids:
        if (
            min(d.monthly_cost, d.setup_cost, d.per_minute_cost) < 0
            or len(d.number) > 32
            or len(d.country) > 2
        ):
            return invalid("dids", f"bad entry for {d.number[:32]!r}")
        new.append(
            NewDid(d.number, to_micros(d.monthly_cost), to_micros(d.setup_cost),
                   to_micros(d.per_minute_cost), d.country.upper())
        )  # fmt: skip
    try:
        views = await did_service.add_dids(context.services, actor, new)
    except domain.ServiceError as exc:
        problem = common_problem(exc)
        return problem if not isinstance(problem, NotFound) else invalid("dids", problem.message)
    # new inventory belongs to no reseller yet: priced in the platform currency
    return AddedDids(dids=[Did.from_domain(v, PLATFORM_CURRENCY) for v in views])


async def create_reseller(
    info: Info, name: str, currency: str, low_balance_threshold: Decimal | None = None
) -> ResellerResult:
    """A new tenant and its first API token (shown once)."""
    context = info.context
    actor = context.require_role("operator")
    if len(name) > 200:
        return invalid("name", "at most 200 characters")
    if low_balance_threshold is not None and low_balance_threshold < 0:
        return invalid("lowBalanceThreshold", "must not be negative")
    threshold = None if low_balance_threshold is None else to_micros(low_balance_threshold)
    try:
        created = await resellers.create_reseller(
            context.services, actor, name, currency, low_balance_threshold=threshold
        )
    except domain.ServiceError as exc:
        problem = common_problem(exc)
        return problem if not isinstance(problem, NotFound) else invalid("name", problem.message)
    return ResellerCreated(
        reseller=Reseller.from_domain(created.reseller), token=ApiToken.from_domain(created.token)
    )


def _deck_problem(problem: domain.DeckIssue) -> DeckProblem:
    return DeckProblem(line=problem.line, column=problem.column, message=problem.message)
