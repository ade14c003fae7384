"""The operator's rate decks: import (versioned by content), activate, and load for rating."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.errors import DeckIssue, DeckRejected, NotFound
from api.services.access import require_operator
from api.services.context import ServicesContext
from api.services.records import DeckVersionView
from api.store.tables import DeckVersion
from api.store.unit_of_work import UnitOfWork
from ratelang.deck import DeckError, parse_deck
from ratelang.model import Deck


async def import_deck(
    ctx: ServicesContext,
    actor: Actor,
    text: str,
    *,
    name: str = "",
    source: str = "<deck>",
    activate: bool = False,
) -> DeckVersionView:
    """Operator: store a deck CSV as a new version (the same content twice is one version).

    Broken rows, or none at all, raise :class:`DeckRejected` listing every problem, and
    nothing is stored.
    ``activate`` makes it the deck that rates calls from the commit on.
    """
    require_operator(actor)
    try:
        deck = parse_deck(text, source)
    except DeckError as exc:
        raise DeckRejected([DeckIssue(p.line, p.column, p.message) for p in exc.problems]) from None
    if not len(deck.entries):
        raise DeckRejected([DeckIssue(1, "row", "the deck has no rows")])
    ctx.decks.put(deck.version, deck)
    async with ctx.unit_of_work() as uow:
        row = await uow.session.scalar(
            select(DeckVersion).where(col(DeckVersion.version) == deck.version)
        )
        if row is None:
            row = DeckVersion(
                version=deck.version,
                name=name[:200] or source[:200],
                content=text,
                row_count=len(deck.entries),
                active=False,
                imported_at=ctx.now(),
            )
            uow.session.add(row)
            await uow.session.flush()
        if activate:
            await _activate(uow, row)
        return _view(row)


async def activate_deck(ctx: ServicesContext, actor: Actor, version: str) -> DeckVersionView:
    """Operator: make deck ``version`` the one that rates calls (the previous one stays)."""
    require_operator(actor)
    async with ctx.unit_of_work() as uow:
        row = await uow.session.scalar(
            select(DeckVersion).where(col(DeckVersion.version) == version)
        )
        if row is None:
            raise NotFound("deck version", version)
        await _activate(uow, row)
        return _view(row)


async def list_decks(ctx: ServicesContext, actor: Actor) -> list[DeckVersionView]:
    """Operator: every imported deck version, newest first."""
    require_operator(actor)
    async with ctx.unit_of_work() as uow:
        rows = await uow.session.scalars(select(DeckVersion).order_by(col(DeckVersion.id).desc()))
        return [_view(r) for r in rows]


async def active_deck(ctx: ServicesContext, uow: UnitOfWork) -> Deck | None:
    """The active deck, parsed once per version and cached; ``None`` when there is none."""
    version = await uow.session.scalar(
        select(col(DeckVersion.version)).where(col(DeckVersion.active).is_(True))
    )
    if version is None:
        return None
    return await deck_by_version(ctx, uow, version)


async def deck_by_version(ctx: ServicesContext, uow: UnitOfWork, version: str) -> Deck | None:
    cached = ctx.decks.get(version)
    if cached is not None:
        return cached
    content = await uow.session.scalar(
        select(col(DeckVersion.content)).where(col(DeckVersion.version) == version)
    )
    if content is None:
        return None
    return ctx.decks.put(version, parse_deck(content, f"deck {version}"))


async def _activate(uow: UnitOfWork, row: DeckVersion) -> None:
    await uow.session.execute(
        update(DeckVersion).where(col(DeckVersion.id) != row.id).values(active=False)
    )
    row.active = True
    await uow.session.flush()


def _view(r: DeckVersion) -> DeckVersionView:
    assert r.id is not None
    return DeckVersionView(r.id, r.version, r.name, r.row_count, r.active, r.imported_at)
